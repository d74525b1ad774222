//! A journal written by an earlier build (journal/tests/fixtures/sealed-run-v1: sealed Parquet
//! segments and a WAL tail) replays identically with sealed segments trusted by their digest
//! and with every chain link re-hashed (`--paranoid`).

use std::path::PathBuf;

use kalshi_replay::journal_source::JournalSource;
use kalshi_replay::progress::NoProgress;
use kalshi_replay::verify::verify;

/// Output digest of the fixture's run, as replayed when the fixture was added.
const FIXTURE_OUTPUT_DIGEST: &str =
    "9019c2e7014b7943f7bce719253e18e1f20f1539990d9e5c0e11f39aba3adc43";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../journal/tests/fixtures/sealed-run-v1")
}

#[test]
fn an_earlier_builds_sealed_journal_replays_identically_in_both_modes() {
    let trusting = verify(&mut JournalSource::open(&fixture()).unwrap(), &NoProgress).unwrap();
    let paranoid = verify(
        &mut JournalSource::open_paranoid(&fixture()).unwrap(),
        &NoProgress,
    )
    .unwrap();
    assert!(trusting.is_match(), "{:?}", trusting.divergence);
    assert!(trusting.run_ended);
    assert!(trusting.outputs_matched > 0);
    assert_eq!(trusting.output_digest, FIXTURE_OUTPUT_DIGEST);
    assert_eq!(trusting, paranoid);
}
