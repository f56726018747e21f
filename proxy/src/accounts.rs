//! The AWS accounts a tlswatch reads and who may read each. The proxy's own
//! identity is the account `default`; other accounts are reached by
//! assuming a role in them (`--account NAME=ROLE_ARN`, or `--accounts FILE`
//! with external IDs, regions, and the users and groups allowed). A view
//! names its account with `account`; everything it touches is kept apart
//! per account and region (a [`Scope`]).

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use tlswatch_shared::account::{DEFAULT_ACCOUNT, account_id_of_role};
use tlswatch_shared::{AccountName, ErrorCode, Region, ViewError};

use crate::identity::{Caller, Readers};

/// One account and region: what every source call and cache entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub account: AccountName,
    pub region: Region,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}", self.account, self.region)
    }
}

/// The role a tlswatch assumes to read an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub arn: String,
    /// The external ID the role's trust policy asks for, if any.
    pub external_id: Option<String>,
}

/// One configured account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: AccountName,
    /// `None`: the proxy's own identity.
    pub role: Option<Role>,
    pub regions: Regions,
    /// Who may read it.
    pub readers: Readers,
}

impl Account {
    /// The proxy's own identity as the account `default`, in `regions`.
    pub fn own(regions: Regions) -> Self {
        Self { name: AccountName::default_account(), role: None, regions, readers: Readers::Everyone }
    }

    /// Whether `caller` may read this account.
    pub fn readable_by(&self, caller: &Caller) -> bool {
        self.readers.admit(caller)
    }

    /// The 12-digit account ID, when the role's ARN gives it.
    pub fn role_account_id(&self) -> Option<&str> {
        self.role.as_ref().and_then(|role| account_id_of_role(&role.arn))
    }

    /// Every scope of this account, its default region first.
    pub fn scopes(&self) -> impl Iterator<Item = Scope> + '_ {
        self.regions.allowed.iter().map(|region| Scope { account: self.name.clone(), region: region.clone() })
    }
}

/// Every configured account; the first is the default of views that name none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accounts(Vec<Account>);

impl Accounts {
    /// Only the proxy's own identity, in `regions`.
    pub fn own(regions: Regions) -> Self {
        Self(vec![Account::own(regions)])
    }

    /// The accounts of an accounts file (TOML, see docs/deploy.md) and of
    /// `--account NAME=ROLE_ARN` flags; accounts with no regions of their
    /// own are read in `regions`.
    pub fn configure(regions: &Regions, file: Option<&Path>, flags: &[String]) -> Result<Self, String> {
        let parsed = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|err| format!("--accounts: cannot read {}: {err}", path.display()))?;
                AccountsFile::parse(&text).map_err(|err| format!("--accounts {}: {err}", path.display()))?
            }
            None => AccountsFile::default(),
        };
        let mut accounts = Vec::new();
        let own_entry =
            parsed.account.iter().position(|entry| entry.name == DEFAULT_ACCOUNT && entry.role_arn.is_none());
        if parsed.own_identity.unwrap_or(true) && own_entry.is_none() {
            accounts.push(Account::own(regions.clone()));
        }
        for entry in parsed.account {
            accounts.push(entry.into_account(regions)?);
        }
        for flag in flags {
            accounts.push(account_flag(flag, regions)?);
        }
        if accounts.is_empty() {
            return Err("--accounts: the file leaves out the proxy's own identity and names no account".to_string());
        }
        let mut names = BTreeSet::new();
        if let Some(repeated) = accounts.iter().find(|account| !names.insert(account.name.clone())) {
            return Err(format!("account {} is configured twice; each account needs its own name", repeated.name));
        }
        // The default account comes first, wherever the file put it.
        if let Some(index) = accounts.iter().position(|account| account.name.as_str() == DEFAULT_ACCOUNT) {
            let default = accounts.remove(index);
            accounts.insert(0, default);
        }
        Ok(Self(accounts))
    }

    pub fn all(&self) -> &[Account] {
        &self.0
    }

    /// The accounts `caller` may read, the default first.
    pub fn readable_by<'a>(&'a self, caller: &'a Caller) -> impl Iterator<Item = &'a Account> + 'a {
        self.0.iter().filter(move |account| account.readable_by(caller))
    }

    /// The account of views that name none.
    pub fn default_account(&self) -> &Account {
        &self.0[0]
    }

    /// Whether any account limits who may read it.
    pub fn restricts_access(&self) -> bool {
        self.0.iter().any(|account| account.readers.is_restricted())
    }

    /// The account `asked` if `caller` may read it; when `None`, the first
    /// account the caller may read (the default one for most). An account
    /// that is not configured gets the same refusal as one the caller may
    /// not read, so names cannot be probed; a caller who may read none is
    /// told so without the name of any account.
    pub fn readable(&self, asked: Option<&AccountName>, caller: &Caller) -> Result<&Account, AccountRefused> {
        match asked {
            Some(name) => self
                .0
                .iter()
                .find(|account| &account.name == name)
                .filter(|account| account.readable_by(caller))
                .ok_or_else(|| AccountRefused::Named(name.to_string())),
            None => self.0.iter().find(|account| account.readable_by(caller)).ok_or(AccountRefused::NoneReadable),
        }
    }

    /// The scope a view asks for: its account (checked for `caller`) and a
    /// region that account is read in.
    pub fn scope(
        &self,
        account: Option<&AccountName>,
        region: Option<&Region>,
        caller: &Caller,
    ) -> Result<Scope, ScopeError> {
        let account = self.readable(account, caller)?;
        let region = account.regions.resolve(region)?;
        Ok(Scope { account: account.name.clone(), region })
    }
}

/// The regions the proxy answers for; the first is the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    pub default: Region,
    pub allowed: Vec<Region>,
}

impl Regions {
    /// Only `region`.
    pub fn single(region: Region) -> Self {
        Self { default: region.clone(), allowed: vec![region] }
    }

    /// The regions named, without repeats; the first is the default.
    pub fn parse(names: &[String]) -> Result<Self, String> {
        let mut allowed: Vec<Region> = Vec::new();
        for name in names {
            let region = Region::parse(name.trim()).map_err(|err| err.message)?;
            if !allowed.contains(&region) {
                allowed.push(region);
            }
        }
        let default = allowed.first().cloned().ok_or("no region given")?;
        Ok(Self { default, allowed })
    }

    /// The region a request asks for, if the proxy is configured for it.
    pub fn resolve(&self, asked: Option<&Region>) -> Result<Region, ViewError> {
        let Some(asked) = asked else {
            return Ok(self.default.clone());
        };
        if self.allowed.contains(asked) {
            return Ok(asked.clone());
        }
        let allowed: Vec<&str> = self.allowed.iter().map(Region::as_str).collect();
        Err(ViewError::new(
            ErrorCode::InvalidParameter,
            "region",
            format!("`region`: {asked} is not served by this proxy; configured regions: {}", allowed.join(", ")),
        ))
    }
}

/// A view of an account the caller may not read, or that is not configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountRefused {
    #[error(
        "`account`: you may not read the account {0:?}, or it is not configured; the catalog lists the accounts \
         you may read"
    )]
    Named(String),
    #[error(
        "you may read no account of this tlswatch: ask its operator to name you, or a group of yours, in an \
         account's `users` or `groups`"
    )]
    NoneReadable,
}

/// Why a view's scope is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error(transparent)]
    Account(#[from] AccountRefused),
    #[error(transparent)]
    Region(#[from] ViewError),
}

/// An accounts file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    /// Whether the proxy's own identity is the account `default` (true
    /// unless set false).
    own_identity: Option<bool>,
    #[serde(default)]
    account: Vec<AccountEntry>,
}

impl AccountsFile {
    fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|err| err.to_string().trim_end().to_string())
    }
}

/// One `[[account]]` of an accounts file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEntry {
    name: String,
    /// Absent: the proxy's own identity (allowed for `default` only).
    role_arn: Option<String>,
    external_id: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
    /// Absent (with `groups` absent too): everyone may read it.
    users: Option<Vec<String>>,
    groups: Option<Vec<String>>,
}

impl AccountEntry {
    fn into_account(self, default_regions: &Regions) -> Result<Account, String> {
        let name = account_name(&self.name)?;
        let role = match self.role_arn {
            Some(arn) => Some(role(&name, arn, self.external_id)?),
            None if name.as_str() == DEFAULT_ACCOUNT => None,
            None => {
                return Err(format!(
                    "account {name} has no role_arn: every account but `default` (the proxy's own identity) is \
                     read through a role, e.g. role_arn = \"arn:aws:iam::111122223333:role/tlswatch-reader\""
                ));
            }
        };
        let regions = if self.regions.is_empty() {
            default_regions.clone()
        } else {
            Regions::parse(&self.regions).map_err(|err| format!("account {name}: {err}"))?
        };
        let readers = readers(&name, self.users, self.groups)?;
        Ok(Account { name, role, regions, readers })
    }
}

/// Who may read the account `name`: a `users` or `groups` key lists its
/// only readers. Lists that name nobody are refused, since an empty list
/// reads as "no restriction" to some and as "nobody" to others.
fn readers(name: &AccountName, users: Option<Vec<String>>, groups: Option<Vec<String>>) -> Result<Readers, String> {
    if users.is_none() && groups.is_none() {
        return Ok(Readers::Everyone);
    }
    let empty: Vec<&str> = [("users = []", &users), ("groups = []", &groups)]
        .into_iter()
        .filter(|(_, list)| list.as_ref().is_some_and(Vec::is_empty))
        .map(|(key, _)| key)
        .collect();
    let readers = Readers::Only { users: users.unwrap_or_default(), groups: groups.unwrap_or_default() };
    if readers.names_nobody() {
        return Err(format!(
            "account {name}: `{}` names no reader, so nobody could read it; remove the key to let everyone who may \
             use tlswatch read it, or list who may, e.g. users = [\"ana\"] or groups = [\"sre\"]",
            empty.join("` and `")
        ));
    }
    Ok(readers)
}

/// `--account NAME=ROLE_ARN`.
fn account_flag(flag: &str, regions: &Regions) -> Result<Account, String> {
    let (name, arn) = flag.split_once('=').ok_or_else(|| {
        format!(
            "--account: {flag:?} is not NAME=ROLE_ARN, e.g. payments=arn:aws:iam::111122223333:role/tlswatch-reader"
        )
    })?;
    let name = account_name(name.trim()).map_err(|err| format!("--account: {err}"))?;
    let role = role(&name, arn.trim().to_string(), None).map_err(|err| format!("--account: {err}"))?;
    Ok(Account { name, role: Some(role), regions: regions.clone(), readers: Readers::Everyone })
}

fn account_name(text: &str) -> Result<AccountName, String> {
    AccountName::parse(text).map_err(|err| err.message.replacen("`account`", "account name", 1))
}

fn role(name: &AccountName, arn: String, external_id: Option<String>) -> Result<Role, String> {
    if account_id_of_role(&arn).is_none() {
        return Err(format!(
            "account {name}: {arn:?} is not a role ARN; expected arn:aws:iam::<12-digit account ID>:role/<name>"
        ));
    }
    Ok(Role { arn, external_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::111122223333:role/tlswatch-reader";

    fn regions(names: &[&str]) -> Regions {
        Regions::parse(&names.iter().map(|name| name.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn caller(user: &str, groups: &[&str]) -> Caller {
        Caller { user: Some(user.to_string()), groups: groups.iter().map(|g| g.to_string()).collect() }
    }

    fn names(accounts: &Accounts) -> Vec<&str> {
        accounts.all().iter().map(|account| account.name.as_str()).collect()
    }

    fn from_file(text: &str) -> Result<Accounts, String> {
        let dir = std::env::temp_dir().join(format!("tlswatch-accounts-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("accounts.toml");
        std::fs::write(&path, text).unwrap();
        Accounts::configure(&regions(&["us-east-1"]), Some(&path), &[])
    }

    #[test]
    fn flags_add_role_accounts_beside_the_own_identity() {
        let accounts =
            Accounts::configure(&regions(&["us-east-1", "eu-west-1"]), None, &[format!("payments={ROLE}")]).unwrap();
        assert_eq!(names(&accounts), ["default", "payments"]);
        let payments = &accounts.all()[1];
        assert_eq!(payments.role_account_id(), Some("111122223333"));
        assert_eq!(payments.regions.allowed.len(), 2);
        for bad in ["payments", "pay ments=arn", &format!("payments={ROLE}x:y:z"), "x=arn:aws:iam::1:role/r"] {
            let err = Accounts::configure(&regions(&["us-east-1"]), None, &[bad.to_string()]).unwrap_err();
            assert!(err.starts_with("--account: "), "{err}");
        }
        let twice = [format!("a={ROLE}"), format!("a={ROLE}")];
        assert!(Accounts::configure(&regions(&["us-east-1"]), None, &twice).unwrap_err().contains("twice"));
    }

    #[test]
    fn a_file_sets_regions_access_and_may_leave_the_own_identity_out() {
        let accounts = from_file(&format!(
            "own_identity = false\n\
             [[account]]\nname = \"payments\"\nrole_arn = \"{ROLE}\"\nexternal_id = \"x-1\"\nregions = [\"eu-west-1\"]\nusers = [\"alice\"]\n\
             [[account]]\nname = \"shared\"\nrole_arn = \"{ROLE}\"\ngroups = [\"sre\"]\n"
        ))
        .unwrap();
        assert_eq!(names(&accounts), ["payments", "shared"]);
        assert_eq!(accounts.default_account().name.as_str(), "payments");
        let payments = &accounts.all()[0];
        assert_eq!(payments.role.as_ref().unwrap().external_id.as_deref(), Some("x-1"));
        assert_eq!(payments.regions.default.as_str(), "eu-west-1");
        assert!(payments.readable_by(&caller("alice", &[])));
        assert!(!payments.readable_by(&caller("bob", &["sre"])));
        assert!(accounts.all()[1].readable_by(&caller("bob", &["sre"])));
        assert!(!accounts.all()[1].readable_by(&Caller::default()), "an anonymous caller is in no list");
    }

    #[test]
    fn a_file_can_restrict_the_own_identity() {
        let accounts = from_file("[[account]]\nname = \"default\"\nusers = [\"alice\"]\n").unwrap();
        assert_eq!(names(&accounts), ["default"]);
        assert!(accounts.all()[0].role.is_none());
        assert!(!accounts.all()[0].readable_by(&caller("bob", &[])));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let unknown = from_file("[[account]]\nname = \"a\"\nrole = \"x\"\n").unwrap_err();
        assert!(unknown.contains("unknown field `role`"), "{unknown}");
        let no_role = from_file("[[account]]\nname = \"payments\"\n").unwrap_err();
        assert!(no_role.contains("has no role_arn"), "{no_role}");
        let region = from_file(&format!("[[account]]\nname = \"a\"\nrole_arn = \"{ROLE}\"\nregions = [\"mars\"]\n"))
            .unwrap_err();
        assert!(region.contains("account a") && region.contains("region"), "{region}");
        let empty = from_file("own_identity = false\n").unwrap_err();
        assert!(empty.contains("names no account"), "{empty}");
    }

    #[test]
    fn reader_lists_that_name_nobody_are_refused_with_the_fix() {
        for (lists, named) in [
            ("users = []", "`users = []`"),
            ("groups = []", "`groups = []`"),
            ("users = []\ngroups = []", "`users = []` and `groups = []`"),
        ] {
            let err = from_file(&format!("[[account]]\nname = \"default\"\n{lists}\n")).unwrap_err();
            assert!(err.contains(named) && err.contains("remove the key"), "{lists}: {err}");
        }
        let sre_only = from_file("[[account]]\nname = \"default\"\nusers = []\ngroups = [\"sre\"]\n").unwrap();
        assert!(sre_only.all()[0].readable_by(&caller("ben", &["sre"])));
        assert!(!sre_only.all()[0].readable_by(&caller("ana", &[])));
    }

    #[test]
    fn a_caller_who_may_read_no_account_is_told_so_without_a_name() {
        let accounts = from_file(&format!(
            "own_identity = false\n[[account]]\nname = \"payments\"\nrole_arn = \"{ROLE}\"\nusers = [\"alice\"]\n"
        ))
        .unwrap();
        let refused = accounts.scope(None, None, &caller("bob", &[])).unwrap_err();
        assert_eq!(refused, ScopeError::Account(AccountRefused::NoneReadable));
        assert!(!refused.to_string().contains("payments"), "{refused}");
    }

    #[test]
    fn an_account_one_may_not_read_and_one_that_does_not_exist_are_refused_alike() {
        let accounts =
            from_file(&format!("[[account]]\nname = \"payments\"\nrole_arn = \"{ROLE}\"\nusers = [\"alice\"]\n"))
                .unwrap();
        let bob = caller("bob", &[]);
        let hidden = accounts.scope(Some(&AccountName::parse("payments").unwrap()), None, &bob).unwrap_err();
        let missing = accounts.scope(Some(&AccountName::parse("nope").unwrap()), None, &bob).unwrap_err();
        let text = |err: ScopeError, name: &str| err.to_string().replace(name, "NAME");
        assert_eq!(text(hidden, "payments"), text(missing, "nope"));
        let scope = accounts.scope(Some(&AccountName::parse("payments").unwrap()), None, &caller("alice", &[]));
        assert_eq!(scope.unwrap().to_string(), "payments in us-east-1");
        let other_region = accounts.scope(None, Some(&Region::parse("eu-west-1").unwrap()), &bob).unwrap_err();
        assert!(matches!(other_region, ScopeError::Region(ref err) if err.param == "region"), "{other_region}");
    }
}
