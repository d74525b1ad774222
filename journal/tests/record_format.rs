//! The record-format version in the manifest, and reading outputs still encoded.

mod typed_support;

use kalshi_journal::record::{JournalRecord, OutputRef, encode_output_payload};
use kalshi_journal::typed_reader::{LazyRecord, RecordReader, read_all_records};
use kalshi_journal::{Manifest, RECORD_FORMAT_VERSION, RecordError};
use typed_support::*;

/// Rewrites the manifest's JSON through `edit`.
fn edit_manifest(
    dir: &std::path::Path,
    edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) {
    let path = Manifest::path(dir);
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(json.as_object_mut().unwrap());
    std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
}

#[test]
fn a_new_run_records_this_builds_record_format() {
    let dir = tempfile::tempdir().unwrap();
    engine_run(dir.path());
    assert_eq!(
        Manifest::load(dir.path()).unwrap().record_format,
        RECORD_FORMAT_VERSION
    );
}

#[test]
fn a_journal_of_another_record_format_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    engine_run(dir.path());
    let other = RECORD_FORMAT_VERSION + 1;
    edit_manifest(dir.path(), |manifest| {
        manifest.insert("record_format".into(), other.into());
    });
    let error = match RecordReader::open(dir.path()) {
        Err(error) => error,
        Ok(_) => panic!("a journal of record format {other} was opened"),
    };
    assert!(matches!(
        error,
        RecordError::RecordFormat { found, supported }
            if found == other && supported == RECORD_FORMAT_VERSION
    ));
    assert_eq!(
        error.to_string(),
        format!(
            "journal written with record format {other}, this build reads {RECORD_FORMAT_VERSION}"
        )
    );
    assert!(read_all_records(dir.path()).is_err());
}

#[test]
fn a_manifest_without_the_field_is_the_first_format_and_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    engine_run(dir.path());
    edit_manifest(dir.path(), |manifest| {
        manifest.remove("record_format");
    });
    assert_eq!(Manifest::load(dir.path()).unwrap().record_format, 1);
    // Journals written before the version existed used format 1, whose engine config lacks
    // the fields this build decodes: they are refused with both versions named.
    match read_all_records(dir.path()) {
        Err(RecordError::RecordFormat { found, supported }) => {
            assert_eq!((found, supported), (1, RECORD_FORMAT_VERSION));
        }
        other => panic!("expected a record-format refusal, got {other:?}"),
    }
}

#[test]
fn outputs_read_lazily_match_exactly_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    let mut reader = RecordReader::open(dir.path()).unwrap();
    let mut scratch = Vec::new();
    let mut outputs = 0;
    for written in &run.written {
        let lazy = reader.next_lazy().unwrap().unwrap();
        let (input_seq, index, output) = match &written.record {
            JournalRecord::OutputCommand {
                input_seq,
                index,
                command,
            } => (*input_seq, *index, OutputRef::Command(command)),
            JournalRecord::OutputDecision {
                input_seq,
                index,
                decision,
            } => (*input_seq, *index, OutputRef::Decision(decision)),
            _ => {
                assert_eq!(lazy, LazyRecord::Decoded(written.clone()));
                continue;
            }
        };
        let LazyRecord::Output(encoded) = lazy else {
            panic!("output seq {} was decoded", written.seq);
        };
        outputs += 1;
        assert_eq!((encoded.input_seq(), encoded.index()), (input_seq, index));
        assert_eq!(
            encoded.is_command(),
            matches!(output, OutputRef::Command(_))
        );
        assert_eq!(&encoded.decode().unwrap(), written);
        assert!(encoded.matches(output, &mut scratch).unwrap());
        assert_eq!(written.record.encode_payload().unwrap(), encoded.payload());
        let mut direct = Vec::new();
        encode_output_payload(input_seq, index, output, &mut direct).unwrap();
        assert_eq!(direct, encoded.payload());
    }
    assert!(reader.next_lazy().unwrap().is_none());
    assert!(
        outputs > 10,
        "the engine run journaled only {outputs} outputs"
    );
}

#[test]
fn a_different_output_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    let mut reader = RecordReader::open(dir.path()).unwrap();
    let mut scratch = Vec::new();
    let mut place = None;
    while let Some(lazy) = reader.next_lazy().unwrap() {
        if let LazyRecord::Output(encoded) = lazy
            && encoded.entry().kind == "output.place"
        {
            place = Some(encoded);
            break;
        }
    }
    let place = place.unwrap();
    let JournalRecord::OutputCommand { command: own, .. } = place.decode().unwrap().record else {
        panic!("output.place is not a command");
    };
    assert!(
        place
            .matches(OutputRef::Command(&own), &mut scratch)
            .unwrap()
    );
    let other = run
        .written
        .iter()
        .find_map(|written| match &written.record {
            JournalRecord::OutputCommand { command, .. }
                if written.seq != place.entry().seq
                    && matches!(command, kalshi_core::commands::Command::Place(_)) =>
            {
                Some(command.clone())
            }
            _ => None,
        })
        .unwrap();
    assert!(
        !place
            .matches(OutputRef::Command(&other), &mut scratch)
            .unwrap()
    );
    let cancel_all = kalshi_core::commands::Command::CancelAll;
    assert!(
        !place
            .matches(OutputRef::Command(&cancel_all), &mut scratch)
            .unwrap()
    );
    let decision = kalshi_core::decision::Decision::ResumeRefused {
        state: kalshi_core::risk::RiskState::Halted,
    };
    assert!(
        !place
            .matches(OutputRef::Decision(&decision), &mut scratch)
            .unwrap()
    );
}
