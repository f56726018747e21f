//! Who may use tlswatch. On a loopback address nobody needs to log in; on any
//! other address one of two modes is required:
//! - HTTP Basic against an htpasswd file of bcrypt or argon2 hashes;
//! - a user header set by a trusted authenticating proxy (oauth2-proxy, an
//!   ALB with OIDC, an SSO gateway), believed only from the proxy's addresses.
//!
//! Either can be narrowed with allowed users and groups. A request that
//! names more than one identity (two user, groups or authorization
//! headers) is refused rather than read by order.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use base64::Engine;
use ipnet::IpNet;
use moka::future::Cache;
use sha2::{Digest, Sha256};

use crate::identity::Caller;
use crate::limits::RateLimit;

/// How long a verified Basic credential is remembered (as a SHA-256 of the
/// header), so each request does not pay for a password hash.
const VERIFIED_TTL: Duration = Duration::from_secs(300);

/// The authentication a proxy runs with.
pub struct Auth {
    mode: Mode,
    allow_users: Vec<String>,
    allow_groups: Vec<String>,
    verified: Cache<[u8; 32], String>,
    /// Password checks (each pays for a hash) per client address, so
    /// guessing is slowed and cannot take the processor.
    password_checks: Option<RateLimit<IpAddr>>,
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
    #[error(
        "the request has {count} {header} headers; tlswatch reads exactly one (a proxy in front must replace the \
         header, not add another)"
    )]
    Ambiguous { header: HeaderName, count: usize },
    #[error("too many password checks from this address; try again in {0} seconds")]
    TooManyPasswordChecks(u64),
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
        if !allow_groups.is_empty() {
            return Err(format!(
                "--allow-group {}: htpasswd users have no groups, so nobody would be let in by it; list the users \
                 with --allow-user, or take users and groups from an authenticating proxy with \
                 --trusted-user-header and --trusted-groups-header",
                allow_groups.join(",")
            ));
        }
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
        if let Some(everything) = proxies.iter().find(|net| net.prefix_len() == 0) {
            return Err(format!(
                "--trusted-proxy {everything} trusts every address, so anyone could name themselves in {user}; give \
                 the authenticating proxy's own addresses, e.g. --trusted-proxy 10.0.3.7 or 10.0.3.0/28"
            ));
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
        Self { mode, allow_users, allow_groups, verified, password_checks: None }
    }

    /// At most `per_minute` password checks a minute per client address (0:
    /// no limit); a credential verified before is not checked again.
    pub fn limit_password_checks(self, per_minute: u32) -> Self {
        Self { password_checks: RateLimit::per_minute(per_minute), ..self }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.mode, Mode::Open)
    }

    /// Whether callers come with groups (only from a trusted groups header).
    pub fn has_groups(&self) -> bool {
        matches!(self.mode, Mode::TrustedHeader { .. })
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
            Mode::Htpasswd(file) => (self.basic(file, peer, headers).await?, Vec::new()),
            Mode::TrustedHeader { user, groups, proxies } => {
                let (claimed, listed) = (single(headers, user)?, single(headers, groups)?);
                let trusted = peer.is_some_and(|ip| proxies.iter().any(|net| net.contains(&ip)));
                let claimed = claimed.and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
                match (trusted, claimed) {
                    (true, Some(name)) => {
                        let groups = listed
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

    async fn basic(&self, file: &Htpasswd, peer: Option<IpAddr>, headers: &HeaderMap) -> Result<String, AuthError> {
        let value = single(headers, &header::AUTHORIZATION)?.ok_or(AuthError::MissingCredentials)?;
        let fingerprint: [u8; 32] = Sha256::digest(value.as_bytes()).into();
        if let Some(user) = self.verified.get(&fingerprint).await {
            return Ok(user);
        }
        if let (Some(limit), Some(address)) = (&self.password_checks, peer)
            && let Err(wait) = limit.check(&address)
        {
            return Err(AuthError::TooManyPasswordChecks(wait.as_secs().max(1)));
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

/// The one value of the header `name`, if any; two or more are refused.
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<Option<&'a HeaderValue>, AuthError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    match values.count() {
        0 => Ok(first),
        more => Err(AuthError::Ambiguous { header: name.clone(), count: more + 1 }),
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

/// Why an htpasswd hash is refused.
enum HashRefused {
    /// Not bcrypt or argon2.
    Weak,
    /// Malformed: no password could ever match it; why.
    Unmatchable(String),
}

impl PasswordHash {
    /// The hash of an htpasswd line, if tlswatch accepts it: a bcrypt or
    /// argon2 hash some password can match.
    fn parse(hash: &str) -> Result<Self, HashRefused> {
        let unmatchable = |err: &dyn std::fmt::Display| HashRefused::Unmatchable(err.to_string());
        if ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
            let cost = hash.parse::<bcrypt::HashParts>().map_err(|err| unmatchable(&err))?.get_cost();
            if !(4..=31).contains(&cost) {
                return Err(unmatchable(&format!("the bcrypt cost {cost} is not between 4 and 31")));
            }
            Ok(Self::Bcrypt(hash.to_string()))
        } else if hash.starts_with("$argon2") {
            use argon2::password_hash::PasswordHash as Phc;
            let parsed = Phc::new(hash).map_err(|err| unmatchable(&err))?;
            argon2::Algorithm::try_from(parsed.algorithm).map_err(|err| unmatchable(&err))?;
            argon2::Params::try_from(&parsed).map_err(|err| unmatchable(&err))?;
            if parsed.salt.is_none() || parsed.hash.is_none() {
                return Err(unmatchable(&"the argon2 hash has no salt or no hash"));
            }
            Ok(Self::Argon2(hash.to_string()))
        } else {
            Err(HashRefused::Weak)
        }
    }
}

impl Htpasswd {
    fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|err| format!("--htpasswd {}: {err}", path.display()))?;
        // Each user's hash and the line it is on.
        let mut users: HashMap<String, (PasswordHash, usize)> = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let (number, line) = (index + 1, line.trim());
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |what: String| format!("--htpasswd {} line {number}: {what}", path.display());
            let (user, hash) = line.split_once(':').ok_or_else(|| at("expected user:hash".to_string()))?;
            let hash = PasswordHash::parse(hash).map_err(|refused| match refused {
                HashRefused::Weak => at(format!(
                    "user {user:?} has a hash tlswatch does not accept (MD5, SHA-1, crypt or plain text are too \
                     weak); use bcrypt (`htpasswd -B`) or argon2"
                )),
                HashRefused::Unmatchable(why) => at(format!(
                    "user {user:?} has a hash no password can match ({why}); make it again, e.g. with \
                     `htpasswd -B -C 12 {} {user}`",
                    path.display()
                )),
            })?;
            match users.entry(user.to_string()) {
                Entry::Occupied(first) => {
                    return Err(at(format!(
                        "user {user:?} is also on line {}; keep one line per user (which password counts would \
                         depend on the order)",
                        first.get().1
                    )));
                }
                Entry::Vacant(slot) => {
                    slot.insert((hash, number));
                }
            }
        }
        let users: HashMap<String, PasswordHash> = users.into_iter().map(|(user, (hash, _))| (user, hash)).collect();
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

    fn htpasswd_of(name: &str, text: &str) -> Result<Auth, String> {
        let dir = std::env::temp_dir().join(format!("tlswatch-auth-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("htpasswd");
        std::fs::write(&file, text).unwrap();
        let auth = Auth::htpasswd(&file, vec![], vec![]);
        std::fs::remove_dir_all(dir).unwrap();
        auth
    }

    #[test]
    fn refuses_a_user_twice_and_hashes_no_password_can_match() {
        let hash = bcrypt::hash("secret", 4).unwrap();
        let twice = htpasswd_of("twice", &format!("ana:{hash}\nben:{hash}\n\nana:{hash}\n")).err().unwrap();
        assert!(twice.contains("line 4") && twice.contains("\"ana\" is also on line 1"), "{twice}");
        for garbage in ["$2b$04$garbage", "$2b$99$", &format!("{}!", &hash[..59]), "$argon2id$v=19$nonsense"] {
            let err = htpasswd_of("garbage", &format!("ana:{garbage}\n")).err().expect("refused");
            assert!(err.contains("no password can match") && err.contains("htpasswd -B"), "{garbage}: {err}");
        }
        assert!(htpasswd_of("good", &format!("ana:{hash}\n")).is_ok());
    }

    #[test]
    fn refuses_groups_in_htpasswd_mode_and_a_proxy_range_of_every_address() {
        let hash = bcrypt::hash("secret", 4).unwrap();
        let dir = std::env::temp_dir().join(format!("tlswatch-auth-groups-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("htpasswd");
        std::fs::write(&file, format!("ana:{hash}\n")).unwrap();
        let err = Auth::htpasswd(&file, vec![], vec!["ops".into()]).err().unwrap();
        assert!(err.contains("--allow-group ops") && err.contains("--allow-user"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
        for everything in ["0.0.0.0/0", "::/0"] {
            let proxies = vec![everything.parse().unwrap()];
            let err = Auth::trusted_header("X-User", "X-Groups", proxies, vec![], vec![]).err().unwrap();
            assert!(err.contains(everything) && err.contains("every address"), "{err}");
        }
    }

    #[tokio::test]
    async fn two_identity_headers_are_refused_not_read_by_order() {
        let proxies = vec!["127.0.0.1/32".parse().unwrap()];
        let auth = Auth::trusted_header("X-User", "X-Groups", proxies, vec![], vec![]).unwrap();
        let peer = Some("127.0.0.1".parse().unwrap());
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(*name, HeaderValue::from_static(value));
            }
            map
        };
        let ana = auth.check(peer, &headers(&[("x-user", "ana"), ("x-groups", "sre")])).await.unwrap();
        assert_eq!((ana.user.as_deref(), ana.groups.as_slice()), (Some("ana"), &["sre".to_string()][..]));
        let two_users = [("x-user", "ana"), ("x-user", "eve")];
        let two_groups = [("x-user", "ana"), ("x-groups", "dev"), ("x-groups", "sre")];
        for pairs in [&two_users[..], &two_groups[..]] {
            let err = auth.check(peer, &headers(pairs)).await.unwrap_err();
            assert!(matches!(err, AuthError::Ambiguous { count: 2, .. }), "{err}");
        }
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
