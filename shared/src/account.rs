//! The AWS accounts a tlswatch reads, by the names its configuration gives
//! them: a view names one with `account`, and everything it touches (answers,
//! lists, alarms, the review) is kept apart per account.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ViewError;

/// The name of the proxy's own AWS identity, unless its accounts file says otherwise.
pub const DEFAULT_ACCOUNT: &str = "default";

/// Longest account name.
pub const MAX_ACCOUNT_NAME: usize = 64;

const ACCOUNT_FORMAT: &str = "a configured account name: 1 to 64 letters, digits, `-`, `_` or `.`, starting \
    with a letter or digit, e.g. payments-prod (the catalog lists the accounts you may read)";

/// A configured account's name, such as `payments-prod`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountName(String);

impl AccountName {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        let well_formed = !text.is_empty()
            && text.len() <= MAX_ACCOUNT_NAME
            && text.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if well_formed { Ok(Self(text.to_string())) } else { Err(ViewError::invalid("account", text, ACCOUNT_FORMAT)) }
    }

    /// The proxy's own identity: [`DEFAULT_ACCOUNT`].
    pub fn default_account() -> Self {
        Self(DEFAULT_ACCOUNT.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 12-digit ID of an AWS account, from a role ARN
/// (`arn:aws:iam::111122223333:role/name`, in any partition).
pub fn account_id_of_role(role_arn: &str) -> Option<&str> {
    let mut parts = role_arn.splitn(6, ':');
    let (arn, _partition, service, _region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    // Role names and paths hold letters, digits and `+=,.@_-/` only.
    let role_chars = |b: u8| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b);
    let is_role = arn == "arn"
        && service == "iam"
        && resource.starts_with("role/")
        && resource.len() > 5
        && resource.bytes().all(role_chars);
    (is_role && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_short_plain_words() {
        for good in ["default", "payments-prod", "a", "team_1.eu"] {
            assert_eq!(AccountName::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "-prod", "pay ments", "prod/eu", "é", &"a".repeat(65)] {
            let err = AccountName::parse(bad).unwrap_err();
            assert_eq!(err.param, "account");
            assert!(err.message.contains("configured account name"), "{}", err.message);
        }
    }

    #[test]
    fn role_arns_give_their_account_id() {
        assert_eq!(account_id_of_role("arn:aws:iam::111122223333:role/tlswatch-reader"), Some("111122223333"));
        assert_eq!(account_id_of_role("arn:aws-us-gov:iam::111122223333:role/path/reader"), Some("111122223333"));
        for bad in [
            "arn:aws:iam::1111:role/r",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:s3:::bucket",
            "111122223333",
            "arn:aws:iam::111122223333:role/",
            "arn:aws:iam::111122223333:role/reader:extra",
        ] {
            assert_eq!(account_id_of_role(bad), None, "{bad}");
        }
    }
}
