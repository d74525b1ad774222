//! Locating the `kalshi-bot` binary from a test of this crate.
//!
//! `env!("CARGO_BIN_EXE_kalshi-bot")` only exists in the tests of the package that owns the
//! binary, and Cargo builds a package's `[[bin]]` only for that package's own integration tests.
//! So the first call looks for `kalshi-bot` in the target directory and profile this test
//! executable was built into. It is used as it is when it is newer than every source of the
//! workspace (`src/` trees, manifests, `Cargo.lock`; `cargo test --workspace` has just built it);
//! otherwise — missing, or older than an edit — it is built with `cargo build -p kalshi-bot`
//! into that directory and profile, so a test never runs a stale binary. `KALSHI_BOT_BIN` names
//! a prebuilt binary instead and skips both.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

/// Environment variable naming a prebuilt binary to test instead of building one.
pub const BIN_OVERRIDE_VAR: &str = "KALSHI_BOT_BIN";

/// Where the running test executable lives: `<target>/<profile>/deps/<test>-<hash>`.
struct BuildLayout {
    /// The target directory (what `CARGO_TARGET_DIR` names).
    target_dir: PathBuf,
    /// The profile directory's name (`debug`, `release` or a custom profile).
    profile_dir: String,
}

impl BuildLayout {
    fn of_current_exe() -> Result<BuildLayout, String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot read the test executable's path: {e}"))?;
        let deps = exe
            .parent()
            .ok_or_else(|| format!("{} has no parent directory", exe.display()))?;
        let profile = if deps.file_name().is_some_and(|name| name == "deps") {
            deps.parent()
                .ok_or_else(|| format!("{} has no parent directory", deps.display()))?
        } else {
            deps
        };
        let target_dir = profile
            .parent()
            .ok_or_else(|| format!("{} has no parent directory", profile.display()))?;
        let profile_dir = profile
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| format!("{} has no UTF-8 directory name", profile.display()))?;
        Ok(BuildLayout {
            target_dir: target_dir.to_path_buf(),
            profile_dir: profile_dir.to_string(),
        })
    }

    /// The `cargo build` flag that selects this layout's profile.
    fn profile_args(&self) -> Vec<String> {
        match self.profile_dir.as_str() {
            "debug" => Vec::new(),
            "release" => vec!["--release".to_string()],
            other => vec!["--profile".to_string(), other.to_string()],
        }
    }

    fn binary(&self) -> PathBuf {
        self.target_dir
            .join(&self.profile_dir)
            .join(format!("kalshi-bot{}", std::env::consts::EXE_SUFFIX))
    }
}

/// The workspace manifest (this crate lives one level below the workspace root).
fn workspace_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("Cargo.toml")
}

/// The newest modification time of the files the binary is built from: every file under a
/// `src/` directory, every `Cargo.toml` and `build.rs`, and `Cargo.lock`, below `root` (build
/// output, version control, test, bench and example trees left out).
fn newest_source_mtime(root: &Path, skip: &Path) -> Result<SystemTime, String> {
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut pending = vec![(root.to_path_buf(), false)];
    while let Some((dir, in_src)) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if kind.is_dir() {
                let skipped = [
                    "target",
                    "tests",
                    "benches",
                    "examples",
                    "fuzz",
                    "node_modules",
                ]
                .contains(&name.as_ref())
                    || name.starts_with('.')
                    || path == skip;
                if !skipped || in_src {
                    pending.push((path, in_src || name == "src"));
                }
            } else if in_src || name == "Cargo.toml" || name == "Cargo.lock" || name == "build.rs" {
                let modified = entry
                    .metadata()
                    .and_then(|meta| meta.modified())
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                newest = newest.max(modified);
            }
        }
    }
    Ok(newest)
}

/// The binary at `binary` when it exists and is newer than every source under `root`.
fn up_to_date(binary: &Path, root: &Path, target_dir: &Path) -> Result<bool, String> {
    let Ok(built) = binary.metadata().and_then(|meta| meta.modified()) else {
        return Ok(false);
    };
    Ok(built >= newest_source_mtime(root, target_dir)?)
}

/// The cargo that runs these tests (`CARGO` at run time, else at build time, else `cargo`).
fn cargo() -> OsString {
    std::env::var_os("CARGO")
        .or_else(|| option_env!("CARGO").map(OsString::from))
        .unwrap_or_else(|| OsString::from("cargo"))
}

fn build_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(BIN_OVERRIDE_VAR) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{BIN_OVERRIDE_VAR}={} is not a file",
                path.display()
            ))
        };
    }
    let layout = BuildLayout::of_current_exe()?;
    let binary = layout.binary();
    let root = std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .map_err(|e| format!("cannot find the workspace directory: {e}"))?;
    if up_to_date(&binary, &root, &layout.target_dir)? {
        return Ok(binary);
    }
    let status = Command::new(cargo())
        .arg("build")
        .args(["--quiet", "-p", "kalshi-bot", "--bin", "kalshi-bot"])
        .args(layout.profile_args())
        .arg("--manifest-path")
        .arg(workspace_manifest())
        .env("CARGO_TARGET_DIR", &layout.target_dir)
        .status()
        .map_err(|e| format!("cannot start `cargo build -p kalshi-bot`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build -p kalshi-bot` into {} failed ({status})",
            layout.target_dir.display()
        ));
    }
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "`cargo build -p kalshi-bot` succeeded but {} does not exist",
            binary.display()
        ))
    }
}

/// Path of the `kalshi-bot` binary, built on first use (see the module doc).
///
/// # Panics
/// When the binary cannot be built or found; the message says why and names
/// [`BIN_OVERRIDE_VAR`] as the way to point at a prebuilt binary.
pub fn kalshi_bot() -> &'static str {
    static BIN: OnceLock<Result<String, String>> = OnceLock::new();
    let found = BIN.get_or_init(|| {
        build_binary().and_then(|path| {
            path.into_os_string()
                .into_string()
                .map_err(|path| format!("the binary's path {path:?} is not UTF-8"))
        })
    });
    match found {
        Ok(path) => path,
        Err(why) => panic!(
            "the kalshi-bot binary is not available: {why}. Build it with \
             `cargo build -p kalshi-bot` or set {BIN_OVERRIDE_VAR} to its path."
        ),
    }
}
