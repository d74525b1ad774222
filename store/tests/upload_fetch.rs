//! Upload and fetch against an in-memory object store: a run's sealed segments go up as they
//! seal (the manifest only once the run is finished), the fetched copy verifies exactly like
//! the local run, and a missing or altered segment is refused with the segment's name.

use std::sync::Arc;
use std::time::Duration;

use kalshi_journal::complete::RUN_STARTED_KIND;
use kalshi_journal::{JournalEntry, JournalWriter, RunInfo, VerifyOutcome, WalConfig, verify_run};
use kalshi_store::upload::RunDirSource;
use kalshi_store::{S3Location, StoreError, UploadConfig, fetch_run, spawn_uploader};
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

fn run_info() -> RunInfo {
    RunInfo {
        run_id: "run-store".into(),
        build_id: "build-1".into(),
        config_hash: "cfg".into(),
        seed: 1,
        environment: "sim".into(),
        // 2026-12-07T00:32:06Z
        created_ts_ns: 1_796_603_526_000_000_000,
    }
}

fn entry(seq: u64) -> JournalEntry {
    JournalEntry {
        seq,
        ts_ns: 1_000 + seq as i64,
        kind: if seq == 1 {
            RUN_STARTED_KIND
        } else {
            "book_delta"
        }
        .into(),
        market: Some(format!("KX-{}", seq % 3)),
        payload: vec![seq as u8; 16],
        ..JournalEntry::default()
    }
}

fn append(writer: &mut JournalWriter, seqs: std::ops::RangeInclusive<u64>) {
    for seq in seqs {
        writer.append_durable(&entry(seq)).unwrap();
    }
}

fn fast() -> UploadConfig {
    UploadConfig {
        poll_interval: Duration::from_millis(20),
        ..UploadConfig::default()
    }
}

/// Every key in the store (walking folders with `list_with_delimiter`).
async fn keys(store: &InMemory) -> Vec<String> {
    let mut keys = Vec::new();
    let mut folders = vec![ObjectPath::from("")];
    while let Some(folder) = folders.pop() {
        let listing = store.list_with_delimiter(Some(&folder)).await.unwrap();
        keys.extend(listing.objects.iter().map(|meta| meta.location.to_string()));
        folders.extend(listing.common_prefixes);
    }
    keys.sort();
    keys
}

async fn wait_for(store: &InMemory, key: &str) {
    for _ in 0..500 {
        if keys(store).await.iter().any(|k| k == key) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "{key} never arrived; the bucket holds {:?}",
        keys(store).await
    );
}

fn entries(outcome: &VerifyOutcome) -> u64 {
    match outcome {
        VerifyOutcome::Clean { entries, .. } => *entries,
        other => panic!("not clean: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_upload_as_they_seal_and_the_fetched_run_verifies_like_the_local_one() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let memory = Arc::new(InMemory::new());
    let base = S3Location::parse("s3://journals/recorded").unwrap();
    let prefix = "recorded/date=2026-12-07/run=run-store";

    let mut writer = JournalWriter::create(&run_dir, run_info(), WalConfig::default()).unwrap();
    append(&mut writer, 1..=20);
    let upload = spawn_uploader(
        memory.clone(),
        base.clone(),
        RunDirSource::Known(run_dir.clone()),
        fast(),
    );
    // Mid-run: segment 0 closes and seals; it reaches the bucket while the run goes on, and
    // no manifest is uploaded for a run that is not finished.
    writer.rotate().unwrap();
    writer.seal_closed_segments().unwrap();
    wait_for(&memory, &format!("{prefix}/seg-00000000.parquet")).await;
    assert!(
        !keys(&memory)
            .await
            .contains(&format!("{prefix}/manifest.json"))
    );
    append(&mut writer, 21..=30);
    writer.finish_and_seal().unwrap();
    let report = upload.finish(Duration::from_secs(30)).await;
    assert!(report.pending.is_empty(), "{report:?}");
    assert!(report.manifest_uploaded);
    assert_eq!(
        report.uploaded,
        [
            "seg-00000000.parquet",
            "seg-00000001.parquet",
            "manifest.json"
        ]
    );
    assert_eq!(
        report.run_url.as_deref(),
        Some("s3://journals/recorded/date=2026-12-07/run=run-store")
    );
    assert!(!keys(&memory).await.iter().any(|key| key.contains("wal-")));

    // Fetch into a cache; the copy verifies with the same verdict as the original.
    let location = S3Location::parse(&format!("s3://journals/{prefix}")).unwrap();
    let cache = dir.path().join("cache");
    let fetched = fetch_run(&*memory, &location, &cache).await.unwrap();
    assert_eq!(fetched.downloaded, 2);
    assert_eq!(verify_run(&fetched.dir), verify_run(&run_dir));
    assert_eq!(entries(&verify_run(&fetched.dir)), 30);
    // A second fetch finds the segments cached.
    let again = fetch_run(&*memory, &location, &cache).await.unwrap();
    assert_eq!((again.downloaded, again.cached), (0, 2));

    // An altered segment is refused, naming it.
    let segment_key = ObjectPath::from(format!("{prefix}/seg-00000001.parquet"));
    let original = memory
        .get(&segment_key)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut altered = original.to_vec();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    memory
        .put(&segment_key, PutPayload::from(altered))
        .await
        .unwrap();
    let error = fetch_run(&*memory, &location, &dir.path().join("cache2"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Mismatch { segment, .. } if segment == "seg-00000001.parquet"),
        "{error}"
    );

    // A missing segment is a torn upload, naming it.
    memory.delete(&segment_key).await.unwrap();
    let error = fetch_run(&*memory, &location, &dir.path().join("cache3"))
        .await
        .unwrap_err();
    assert!(error.is_torn_upload(), "{error}");
    assert!(
        error.to_string().contains("seg-00000001.parquet"),
        "{error}"
    );

    // No manifest: not a journal.
    let nothing = S3Location::parse("s3://journals/nothing").unwrap();
    assert!(matches!(
        fetch_run(&*memory, &nothing, &cache).await,
        Err(StoreError::NoManifest { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_run_uploads_its_sealed_segments_but_no_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let memory = Arc::new(InMemory::new());
    let mut writer = JournalWriter::create(&run_dir, run_info(), WalConfig::default()).unwrap();
    append(&mut writer, 1..=5);
    writer.rotate().unwrap();
    writer.seal_closed_segments().unwrap();
    let upload = spawn_uploader(
        memory.clone(),
        S3Location::parse("s3://journals").unwrap(),
        RunDirSource::Known(run_dir.clone()),
        fast(),
    );
    let report = upload.finish(Duration::from_secs(30)).await;
    assert_eq!(report.uploaded, ["seg-00000000.parquet"]);
    assert!(!report.manifest_uploaded);
    assert_eq!(report.pending, ["manifest.json"]);
    drop(writer);
    assert!(
        run_dir.join("wal-00000001.log").exists(),
        "the WAL stays local"
    );
}
