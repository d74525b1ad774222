//! Where the API key comes from: the environment first, then the config file's
//! `[credentials]` section — never the command line (arguments show in `ps` and in shell
//! history). A key file must be mode 0600 or stricter; io refuses anything looser when the key
//! is loaded.
//!
//! | variable | meaning |
//! |---|---|
//! | `KALSHI_API_KEY_ID` | the API key id |
//! | `KALSHI_PRIVATE_KEY_PATH` | a PEM private-key file (preferred) |
//! | `KALSHI_PRIVATE_KEY_PEM` | PEM text (when no path is set) |
//! | `KALSHI_KEY_ENVIRONMENT` | `demo` or `production`: the environment the key was issued for |

use std::fmt;
use std::sync::Arc;

use kalshi_io::auth::ApiCredentials;
use kalshi_io::env::{
    CredentialSource, ENV_API_KEY_ID, ENV_PRIVATE_KEY_PATH, EnvError, Environment, KeySource,
};

use crate::config::CredentialSettings;

/// Environment variable declaring which environment the key belongs to.
pub const ENV_KEY_ENVIRONMENT: &str = "KALSHI_KEY_ENVIRONMENT";

/// Why credentials could not be resolved or loaded. Messages name variables, fields and
/// files, never key material.
#[derive(Debug)]
pub enum CredentialError {
    /// Only part of a credential is configured.
    Incomplete {
        /// Where the rest was expected.
        missing: String,
    },
    /// The environment variables are inconsistent.
    Env(EnvError),
    /// `key_environment` is neither `demo` nor `production`.
    UnknownKeyEnvironment {
        /// Where the value came from.
        origin: &'static str,
        /// The text found there (an environment name, never key material).
        value: String,
    },
    /// The key could not be loaded (missing file, loose permissions, bad PEM …).
    Load(kalshi_io::auth::AuthError),
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialError::Incomplete { missing } => {
                write!(f, "incomplete API credentials: {missing} is not set")
            }
            CredentialError::Env(error) => write!(f, "{error}"),
            CredentialError::UnknownKeyEnvironment { origin, value } => {
                write!(f, "{origin} is {value:?}; expected `demo` or `production`")
            }
            CredentialError::Load(error) => write!(f, "cannot load the API key: {error}"),
        }
    }
}

impl std::error::Error for CredentialError {}

/// A configured key: its id, where its private key is, and the environment it was declared
/// for (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredKey {
    /// Key id and private-key location.
    pub source: CredentialSource,
    /// Where the configuration came from (`environment` or `config file`).
    pub origin: &'static str,
}

impl ConfiguredKey {
    /// A key file at `path` (e.g. the local exchange's development key).
    pub fn from_file(key_id: impl Into<String>, path: impl Into<std::path::PathBuf>) -> Self {
        ConfiguredKey {
            source: CredentialSource {
                key_id: key_id.into(),
                key: KeySource::Path(path.into()),
            },
            origin: "local exchange",
        }
    }

    /// Loads the private key (checking file permissions) and pairs it with the id.
    pub fn load(&self) -> Result<Arc<ApiCredentials>, CredentialError> {
        self.source
            .load()
            .map(Arc::new)
            .map_err(CredentialError::Load)
    }
}

/// Resolves the configured key: environment variables (read through `lookup`) win over the
/// config file. `Ok(None)` when neither configures one.
pub fn resolve(
    settings: &CredentialSettings,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<ConfiguredKey>, CredentialError> {
    if let Some(source) = CredentialSource::from_lookup(&lookup).map_err(CredentialError::Env)? {
        return Ok(Some(ConfiguredKey {
            source,
            origin: "environment",
        }));
    }
    let key_id = settings
        .api_key_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    match (key_id, &settings.private_key_path) {
        (None, None) => Ok(None),
        (Some(key_id), Some(path)) => Ok(Some(ConfiguredKey {
            source: CredentialSource {
                key_id: key_id.to_string(),
                key: KeySource::Path(path.clone()),
            },
            origin: "config file",
        })),
        (Some(_), None) => Err(CredentialError::Incomplete {
            missing: format!("credentials.private_key_path (or {ENV_PRIVATE_KEY_PATH})"),
        }),
        (None, Some(_)) => Err(CredentialError::Incomplete {
            missing: format!("credentials.api_key_id (or {ENV_API_KEY_ID})"),
        }),
    }
}

/// The environment the key was declared for: `KALSHI_KEY_ENVIRONMENT`, else the file's
/// `credentials.key_environment`, else unknown.
pub fn declared_environment(
    settings: &CredentialSettings,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<Environment>, CredentialError> {
    let from_env = lookup(ENV_KEY_ENVIRONMENT).filter(|value| !value.trim().is_empty());
    let (origin, value) = match (from_env, &settings.key_environment) {
        (Some(value), _) => (ENV_KEY_ENVIRONMENT, value),
        (None, Some(value)) => ("credentials.key_environment", value.clone()),
        (None, None) => return Ok(None),
    };
    Environment::from_name(&value)
        .map(Some)
        .ok_or(CredentialError::UnknownKeyEnvironment { origin, value })
}

/// Reads a process environment variable (the lookup the commands pass to [`resolve`]).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use kalshi_io::env::ENV_PRIVATE_KEY_PEM;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let settings = CredentialSettings {
            api_key_id: Some("file-id".to_string()),
            private_key_path: Some(PathBuf::from("/keys/file.pem")),
            key_environment: None,
        };
        let key = resolve(
            &settings,
            lookup(&[
                (ENV_API_KEY_ID, "env-id"),
                (ENV_PRIVATE_KEY_PATH, "/keys/env.pem"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(key.source.key_id, "env-id");
        assert_eq!(
            key.source.key,
            KeySource::Path(PathBuf::from("/keys/env.pem"))
        );
        let key = resolve(&settings, lookup(&[])).unwrap().unwrap();
        assert_eq!(key.source.key_id, "file-id");
        assert_eq!(key.origin, "config file");
    }

    #[test]
    fn half_a_credential_is_refused_with_the_missing_piece_named() {
        let settings = CredentialSettings {
            api_key_id: Some("id".to_string()),
            ..CredentialSettings::default()
        };
        let error = resolve(&settings, lookup(&[])).unwrap_err();
        assert!(error.to_string().contains("private_key_path"), "{error}");
        let error = resolve(
            &CredentialSettings::default(),
            lookup(&[(ENV_PRIVATE_KEY_PEM, "-----BEGIN PRIVATE KEY-----")]),
        )
        .unwrap_err();
        assert!(error.to_string().contains(ENV_API_KEY_ID), "{error}");
        assert!(!error.to_string().contains("BEGIN"), "{error}");
        assert!(
            resolve(&CredentialSettings::default(), lookup(&[]))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn pem_text_never_shows_in_debug_output() {
        let key = resolve(
            &CredentialSettings::default(),
            lookup(&[
                (ENV_API_KEY_ID, "id"),
                (
                    ENV_PRIVATE_KEY_PEM,
                    "-----BEGIN PRIVATE KEY-----\nSECRETBYTES",
                ),
            ]),
        )
        .unwrap()
        .unwrap();
        assert!(!format!("{key:?}").contains("SECRETBYTES"));
    }

    #[test]
    fn loose_key_file_permissions_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(
            &path,
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = ConfiguredKey::from_file("id", &path).load().unwrap_err();
        assert!(error.to_string().contains("chmod 600"), "{error}");
    }

    #[test]
    fn declared_environment_is_parsed_and_checked() {
        let settings = CredentialSettings {
            key_environment: Some("demo".to_string()),
            ..CredentialSettings::default()
        };
        assert_eq!(
            declared_environment(&settings, lookup(&[])).unwrap(),
            Some(Environment::Demo)
        );
        assert_eq!(
            declared_environment(&settings, lookup(&[(ENV_KEY_ENVIRONMENT, "production")]))
                .unwrap(),
            Some(Environment::Production)
        );
        assert!(
            declared_environment(&settings, lookup(&[(ENV_KEY_ENVIRONMENT, "staging")])).is_err()
        );
        assert_eq!(
            declared_environment(&CredentialSettings::default(), lookup(&[])).unwrap(),
            None
        );
    }
}
