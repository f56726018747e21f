//! TLS as AWS's security policies name it: a policy's protocols and
//! ciphers, and the versions in the words people read. Values only.

use serde::{Deserialize, Serialize};

/// A security policy as DescribeSSLPolicies describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SslPolicy {
    /// `TLSv1`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3`, in AWS's order.
    pub protocols: Vec<String>,
    /// Cipher names in AWS's priority order (OpenSSL's names; TLS 1.3's
    /// `TLS_AES_128_GCM_SHA256` and the like among them).
    pub ciphers: Vec<String>,
}

/// Every TLS version a policy can name, oldest first, as AWS names them.
pub const VERSIONS: [&str; 4] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/// TLS 1.0 and 1.1, as AWS names them: the versions RFC 8996 deprecates.
pub const LEGACY_VERSIONS: [&str; 2] = ["TLSv1", "TLSv1.1"];

/// Whether `version` is TLS 1.0 or 1.1.
pub fn is_legacy(version: &str) -> bool {
    LEGACY_VERSIONS.contains(&version)
}

/// `TLS 1.0` for `TLSv1`, `TLS 1.2` for `TLSv1.2`: as people write them.
pub fn version_label(version: &str) -> String {
    match version {
        "TLSv1" => "TLS 1.0".to_string(),
        other => other.replacen("TLSv", "TLS ", 1),
    }
}

/// Versions as people read them: `TLS 1.0-1.2` for a run of consecutive
/// versions, `TLS 1.0 and 1.3` otherwise, `no TLS version` for none.
pub fn versions_label(versions: &[String]) -> String {
    let mut known: Vec<usize> = versions.iter().filter_map(|v| VERSIONS.iter().position(|k| k == v)).collect();
    known.sort_unstable();
    known.dedup();
    let number = |index: usize| version_label(VERSIONS[index]).trim_start_matches("TLS ").to_string();
    match known.as_slice() {
        [] => "no TLS version".to_string(),
        [only] => version_label(VERSIONS[*only]),
        [first, .., last] if last - first + 1 == known.len() => format!("TLS {}-{}", number(*first), number(*last)),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(|i| number(*i)).collect();
            format!("TLS {} and {}", rest.join(", "), number(*last))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn versions_read_as_people_write_them() {
        assert_eq!(versions_label(&strings(&["TLSv1", "TLSv1.1", "TLSv1.2"])), "TLS 1.0-1.2");
        assert_eq!(versions_label(&strings(&["TLSv1.3"])), "TLS 1.3");
        assert_eq!(versions_label(&strings(&["TLSv1.3", "TLSv1"])), "TLS 1.0 and 1.3");
        assert_eq!(versions_label(&strings(&["TLSv1", "TLSv1.2", "TLSv1.3"])), "TLS 1.0, 1.2 and 1.3");
        assert_eq!(versions_label(&[]), "no TLS version");
    }
}
