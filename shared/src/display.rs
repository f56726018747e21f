//! View parameters that change how the page shows data, not which data:
//! the time zone of the axis (`tz`) and auto-refresh (`refresh`). They live
//! in the view so that a shared link shows the same thing; the API accepts
//! and echoes them and fetches the same data whatever they are.

use std::fmt;

use crate::error::ViewError;

/// How times are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeZone {
    /// UTC: a link shows the same times to a colleague in another zone.
    #[default]
    Utc,
    /// The browser's own zone.
    Local,
}

impl TimeZone {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        match text {
            "utc" => Ok(Self::Utc),
            "local" => Ok(Self::Local),
            _ => Err(ViewError::invalid("tz", text, "`utc` or `local`")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utc => "utc",
            Self::Local => "local",
        }
    }
}

/// How often the page reloads a view with a relative range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Refresh {
    #[default]
    Off,
    OneMinute,
    FiveMinutes,
}

impl Refresh {
    pub const ALL: [Refresh; 3] = [Self::Off, Self::OneMinute, Self::FiveMinutes];

    pub fn parse(text: &str) -> Result<Self, ViewError> {
        Self::ALL
            .into_iter()
            .find(|refresh| refresh.as_str() == text)
            .ok_or_else(|| ViewError::invalid("refresh", text, "`off`, `1m` or `5m`"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::OneMinute => "1m",
            Self::FiveMinutes => "5m",
        }
    }

    /// Seconds between reloads; `None` when off.
    pub fn seconds(self) -> Option<u32> {
        match self {
            Self::Off => None,
            Self::OneMinute => Some(60),
            Self::FiveMinutes => Some(300),
        }
    }
}

impl fmt::Display for Refresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A written form of a view's alarms (`/api/v1/alarm`'s `format`, and the
/// page's `alarm`, whose dialog shows that form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmFormat {
    CloudFormation,
    Terraform,
    Cli,
}

impl AlarmFormat {
    pub const ALL: [AlarmFormat; 3] = [Self::CloudFormation, Self::Terraform, Self::Cli];
    /// The form the page's dialog opens on when the link names none.
    pub const FIRST: AlarmFormat = Self::Terraform;

    /// `param`'s value as a form, or an error naming `param` and `accepted`.
    pub fn parse(param: &str, text: &str, accepted: &str) -> Result<Self, ViewError> {
        Self::ALL
            .into_iter()
            .find(|form| form.as_str() == text)
            .ok_or_else(|| ViewError::invalid(param, text, accepted))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudFormation => "cloudformation",
            Self::Terraform => "terraform",
            Self::Cli => "cli",
        }
    }

    /// The name a person knows it by.
    pub fn label(self) -> &'static str {
        match self {
            Self::CloudFormation => "CloudFormation",
            Self::Terraform => "Terraform",
            Self::Cli => "AWS CLI",
        }
    }
}

/// What `/api/v1/series` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    #[default]
    Json,
    /// `text/csv`: one row per bucket, one column per series, ISO 8601 UTC time first.
    Csv,
}

impl Format {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        match text {
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            _ => Err(ViewError::invalid("format", text, "`json` or `csv`")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_writes_and_refuses_the_rest() {
        for refresh in Refresh::ALL {
            assert_eq!(Refresh::parse(refresh.as_str()).unwrap(), refresh);
        }
        assert_eq!(Refresh::parse("10s").unwrap_err().param, "refresh");
        assert_eq!(TimeZone::parse("local").unwrap(), TimeZone::Local);
        assert_eq!(TimeZone::parse("Europe/Paris").unwrap_err().param, "tz");
        assert_eq!(Format::parse("csv").unwrap(), Format::Csv);
        assert_eq!(Format::parse("xml").unwrap_err().param, "format");
    }
}
