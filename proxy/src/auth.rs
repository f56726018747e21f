//! Who may use tlswatch. On a loopback address nobody needs to log in; on any
//! other address one of two modes is required:
//! - HTTP Basic against an htpasswd file of bcrypt or argon2 hashes;
//! - a user header set by a trusted authenticating proxy (oauth2-proxy, an
//!   ALB with OIDC, an SSO gateway), believed only from the proxy's addresses.
//!
//! Either can be narrowed with allowed users and groups.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, header};
use base64::Engine;
use ipnet::IpNet;
use moka::future::Cache;
use sha2::{Digest, Sha256};

use crate::accounts::Caller;

/// How long a verified Basic credential is remembered (as a SHA-256 of the
/// header), so each request does not pay for a password hash.
const VERIFIED_TTL: Duration = Duration::from_secs(300);

/// The authentication a proxy runs with.
pub struct Auth {
    mode: Mode,
    allow_users: Vec<String>,
    allow_groups: Vec<String>,
    verified: Cache<[u8; 32], String>,
}

enum Mode {
    Open,
    Htpasswd(Htpasswd),
    TrustedHeader { user: HeaderName, groups: HeaderName, proxies: Vec<IpNet> },
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("log in with your tlswatch user name and password")]
    MissingCredentials,
    #[error("wrong user name or password")]
    WrongCredentials,
    #[error("{0}")]
    UntrustedSource(String),
    #[error("user {0} is not allowed to use this tlswatch")]
    NotAllowed(String),
}

impl AuthError {
    /// Whether the browser should be asked for a password.
    pub fn asks_for_password(&self) -> bool {
        matches!(self, Self::MissingCredentials | Self::WrongCredentials)
    }
}

impl Auth {
    pub fn open() -> Self {
        Self::new(Mode::Open, Vec::new(), Vec::new())
    }

    pub fn htpasswd(file: &Path, allow_users: Vec<String>, allow_groups: Vec<String>) -> Result<Self, String> {
        Ok(Self::new(Mode::Htpasswd(Htpasswd::load(file)?), allow_users, allow_groups))
    }

    pub fn trusted_header(
        user: &str,
        groups: &str,
        proxies: Vec<IpNet>,
        allow_users: Vec<String>,
        allow_groups: Vec<String>,
    ) -> Result<Self, String> {
        let name = |value: &str, flag: &str| {
            HeaderName::try_from(value).map_err(|_| format!("{flag}: {value:?} is not a valid header name"))
        };
        if proxies.is_empty() {
            return Err(
                "--trusted-user-header needs at least one --trusted-proxy CIDR (the authenticating proxy's addresses)"
                    .into(),
            );
        }
        let mode = Mode::TrustedHeader {
            user: name(user, "--trusted-user-header")?,
            groups: name(groups, "--trusted-groups-header")?,
            proxies,
        };
        Ok(Self::new(mode, allow_users, allow_groups))
    }

    fn new(mode: Mode, allow_users: Vec<String>, allow_groups: Vec<String>) -> Self {
        let verified = Cache::builder().max_capacity(10_000).time_to_live(VERIFIED_TTL).build();
        Self { mode, allow_users, allow_groups, verified }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.mode, Mode::Open)
    }

    /// A short description for the start-up log.
    pub fn describe(&self) -> &'static str {
        match self.mode {
            Mode::Open => "none",
            Mode::Htpasswd(_) => "htpasswd",
            Mode::TrustedHeader { .. } => "trusted-header",
        }
    }

    /// Checks a request from `peer` with `headers`: who made it.
    pub async fn check(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Result<Caller, AuthError> {
        let (user, groups) = match &self.mode {
            Mode::Open => return Ok(Caller::default()),
            Mode::Htpasswd(file) => (self.basic(file, headers).await?, Vec::new()),
            Mode::TrustedHeader { user, groups, proxies } => {
                let trusted = peer.is_some_and(|ip| proxies.iter().any(|net| net.contains(&ip)));
                let claimed = headers.get(user).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
                match (trusted, claimed) {
                    (true, Some(name)) => {
                        let groups = headers
                            .get(groups)
                            .and_then(|v| v.to_str().ok())
                            .map(|v| v.split(',').map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect())
                            .unwrap_or_default();
                        (name.to_string(), groups)
                    }
                    (true, None) => {
                        return Err(AuthError::UntrustedSource(format!(
                            "the authenticating proxy sent no {user} header"
                        )));
                    }
                    (false, Some(_)) => {
                        return Err(AuthError::UntrustedSource(format!(
                            "a {user} header is only believed from the authenticating proxy; this request came from elsewhere"
                        )));
                    }
                    (false, None) => {
                        return Err(AuthError::UntrustedSource(
                            "requests must come through the authenticating proxy".to_string(),
                        ));
                    }
                }
            }
        };
        let listed = self.allow_users.is_empty() && self.allow_groups.is_empty()
            || self.allow_users.contains(&user)
            || groups.iter().any(|g| self.allow_groups.contains(g));
        if listed { Ok(Caller { user: Some(user), groups }) } else { Err(AuthError::NotAllowed(user)) }
    }

    async fn basic(&self, file: &Htpasswd, headers: &HeaderMap) -> Result<String, AuthError> {
        let value = headers.get(header::AUTHORIZATION).ok_or(AuthError::MissingCredentials)?;
        let fingerprint: [u8; 32] = Sha256::digest(value.as_bytes()).into();
        if let Some(user) = self.verified.get(&fingerprint).await {
            return Ok(user);
        }
        let (user, password) = parse_basic(value.to_str().map_err(|_| AuthError::WrongCredentials)?)
            .ok_or(AuthError::MissingCredentials)?;
        let hash = file.hash_of(&user);
        let ok = tokio::task::spawn_blocking(move || hash.verify(&password)).await.unwrap_or(false);
        if !ok {
            return Err(AuthError::WrongCredentials);
        }
        self.verified.insert(fingerprint, user.clone()).await;
        Ok(user)
    }
}

/// `Basic base64(user:password)`.
fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// An htpasswd file of bcrypt or argon2 hashes.
struct Htpasswd {
    users: HashMap<String, PasswordHash>,
    /// Checked for unknown users, so they take as long as known ones.
    decoy: PasswordHash,
}

#[derive(Clone)]
enum PasswordHash {
    Bcrypt(String),
    Argon2(String),
}

impl PasswordHash {
    fn verify(&self, password: &str) -> bool {
        match self {
            Self::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            Self::Argon2(hash) => {
                use argon2::password_hash::{PasswordHash as Phc, PasswordVerifier};
                Phc::new(hash)
                    .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            }
        }
    }
}

impl Htpasswd {
    fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|err| format!("--htpasswd {}: {err}", path.display()))?;
        let mut users = HashMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, hash) = line
                .split_once(':')
                .ok_or_else(|| format!("--htpasswd {} line {}: expected user:hash", path.display(), number + 1))?;
            let hash = if ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
                PasswordHash::Bcrypt(hash.to_string())
            } else if hash.starts_with("$argon2") {
                PasswordHash::Argon2(hash.to_string())
            } else {
                return Err(format!(
                    "--htpasswd {} line {}: user {user:?} has a hash tlswatch does not accept (MD5, SHA-1, crypt or \
                     plain text are too weak); use bcrypt (`htpasswd -B`) or argon2",
                    path.display(),
                    number + 1
                ));
            };
            users.insert(user.to_string(), hash);
        }
        if users.is_empty() {
            return Err(format!("--htpasswd {}: no users", path.display()));
        }
        // The decoy costs what the file's hashes cost, so an unknown user takes as long as a known one.
        let cost = users
            .values()
            .filter_map(|hash| match hash {
                PasswordHash::Bcrypt(hash) => hash.get(4..6)?.parse::<u32>().ok(),
                PasswordHash::Argon2(_) => None,
            })
            .max()
            .unwrap_or(bcrypt::DEFAULT_COST);
        let decoy = PasswordHash::Bcrypt(bcrypt::hash("decoy", cost).map_err(|e| e.to_string())?);
        Ok(Self { users, decoy })
    }

    fn hash_of(&self, user: &str) -> PasswordHash {
        self.users.get(user).unwrap_or(&self.decoy).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_basic_credentials() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("ana:s3cret:with:colons");
        assert_eq!(parse_basic(&format!("Basic {encoded}")), Some(("ana".into(), "s3cret:with:colons".into())));
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }

    #[test]
    fn refuses_weak_hashes() {
        let dir = std::env::temp_dir().join(format!("tlswatch-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("htpasswd");
        for weak in ["ana:$apr1$abc$def", "ana:{SHA}abc=", "ana:plain", "ana:abXYZ12345678"] {
            std::fs::write(&file, weak).unwrap();
            let err = Auth::htpasswd(&file, vec![], vec![]).err().expect("refused");
            assert!(err.contains("bcrypt"), "{err}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
