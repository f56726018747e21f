//! Who made a request, and who may read something (an account, the
//! metrics). Set by authentication (`auth.rs`), checked by the accounts and
//! the routes; knows no HTTP and no start-up configuration.

/// Who made a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// `None` when nobody logs in (a loopback address without authentication).
    pub user: Option<String>,
    /// Groups from the trusted groups header; none with htpasswd.
    pub groups: Vec<String>,
}

/// Who may read something.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Readers {
    /// Everyone who may use tlswatch.
    #[default]
    Everyone,
    /// Only these users and the members of these groups: with both lists
    /// empty, nobody.
    Only { users: Vec<String>, groups: Vec<String> },
}

impl Readers {
    /// Nobody at all.
    pub fn nobody() -> Self {
        Self::Only { users: Vec::new(), groups: Vec::new() }
    }

    /// Whether `caller` may read.
    pub fn admit(&self, caller: &Caller) -> bool {
        match self {
            Self::Everyone => true,
            Self::Only { users, groups } => {
                caller.user.as_ref().is_some_and(|user| users.contains(user))
                    || caller.groups.iter().any(|group| groups.contains(group))
            }
        }
    }

    /// Whether some who may use tlswatch may not read.
    pub fn is_restricted(&self) -> bool {
        matches!(self, Self::Only { .. })
    }

    /// Whether the lists name nobody, so that nobody may read.
    pub fn names_nobody(&self) -> bool {
        matches!(self, Self::Only { users, groups } if users.is_empty() && groups.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(user: Option<&str>, groups: &[&str]) -> Caller {
        Caller { user: user.map(str::to_string), groups: groups.iter().map(|g| g.to_string()).collect() }
    }

    #[test]
    fn lists_admit_their_users_and_members_and_empty_lists_admit_nobody() {
        let sre = Readers::Only { users: vec!["ana".into()], groups: vec!["sre".into()] };
        assert!(sre.admit(&caller(Some("ana"), &[])));
        assert!(sre.admit(&caller(Some("ben"), &["dev", "sre"])));
        assert!(!sre.admit(&caller(Some("ben"), &["dev"])));
        assert!(!sre.admit(&caller(None, &[])), "an anonymous caller is in no list");
        assert!(Readers::Everyone.admit(&caller(None, &[])));
        let nobody = Readers::nobody();
        assert!(nobody.names_nobody() && nobody.is_restricted());
        assert!(!nobody.admit(&caller(Some("ana"), &["sre"])));
        assert!(!sre.names_nobody() && !Readers::Everyone.names_nobody());
    }
}
