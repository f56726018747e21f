//! Statistics (`stat`) and how missing datapoints are shown (`fill`).

use std::fmt;

use crate::error::ViewError;

/// A CloudWatch statistic, written as AWS writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Statistic {
    #[default]
    Sum,
    Average,
    Minimum,
    Maximum,
    SampleCount,
    /// A percentile in hundredths of a percent: `p99.9` is 9990.
    Percentile(u16),
}

const STATISTIC_FORMAT: &str = "Sum, Average, Minimum, Maximum, SampleCount, or a percentile \
    pNN or pNN.NN with 0 < NN <= 100 (e.g. p99, p99.9)";

impl Statistic {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        let invalid = || ViewError::invalid("stat", text, STATISTIC_FORMAT);
        Ok(match text {
            "Sum" => Self::Sum,
            "Average" => Self::Average,
            "Minimum" => Self::Minimum,
            "Maximum" => Self::Maximum,
            "SampleCount" => Self::SampleCount,
            _ => {
                let number = text.strip_prefix('p').ok_or_else(invalid)?;
                let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
                let digits_ok = |s: &str, max: usize| s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
                if whole.is_empty() || !digits_ok(whole, 3) || !digits_ok(fraction, 2) {
                    return Err(invalid());
                }
                if number.contains('.') && fraction.is_empty() {
                    return Err(invalid());
                }
                let whole: u16 = whole.parse().map_err(|_| invalid())?;
                let fraction: u16 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
                let hundredths = whole * 100 + fraction;
                if hundredths == 0 || hundredths > 10_000 {
                    return Err(invalid());
                }
                Self::Percentile(hundredths)
            }
        })
    }

    /// Whether a missing datapoint means zero for this statistic: for the error
    /// counts in the catalog, no datapoint means no errors, so a Sum or a
    /// SampleCount is 0, while a minimum or an average of nothing is undefined.
    pub fn missing_means_zero(self) -> bool {
        matches!(self, Self::Sum | Self::SampleCount)
    }
}

// On the wire a statistic is written as AWS writes it (`"Sum"`, `"p99.9"`),
// and read back with the view's own parser.
impl serde::Serialize for Statistic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Statistic {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(|err| serde::de::Error::custom(err.message))
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sum => f.write_str("Sum"),
            Self::Average => f.write_str("Average"),
            Self::Minimum => f.write_str("Minimum"),
            Self::Maximum => f.write_str("Maximum"),
            Self::SampleCount => f.write_str("SampleCount"),
            Self::Percentile(hundredths) => {
                let (whole, fraction) = (hundredths / 100, hundredths % 100);
                match fraction {
                    0 => write!(f, "p{whole}"),
                    f10 if f10 % 10 == 0 => write!(f, "p{whole}.{}", f10 / 10),
                    _ => write!(f, "p{whole}.{fraction:02}"),
                }
            }
        }
    }
}

/// What a bucket without a datapoint shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fill {
    /// Zero: right for counts, where no datapoint means no errors.
    Zero,
    /// Null: the chart shows a gap.
    None,
}

impl Fill {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        match text {
            "zero" => Ok(Self::Zero),
            "none" => Ok(Self::None),
            _ => Err(ViewError::invalid("fill", text, "`zero` or `none`")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zero => "zero",
            Self::None => "none",
        }
    }

    /// The fill a view gets when it names none.
    pub fn default_for(stat: Statistic) -> Self {
        if stat.missing_means_zero() { Self::Zero } else { Self::None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_parse_and_print_canonically() {
        for (text, hundredths, printed) in [
            ("p99", 9_900, "p99"),
            ("p99.9", 9_990, "p99.9"),
            ("p99.90", 9_990, "p99.9"),
            ("p0.01", 1, "p0.01"),
            ("p100", 10_000, "p100"),
        ] {
            let stat = Statistic::parse(text).unwrap();
            assert_eq!(stat, Statistic::Percentile(hundredths), "{text}");
            assert_eq!(stat.to_string(), printed);
        }
        for bad in ["p", "p0", "p100.01", "p101", "p99.", "p.9", "p99.999", "p-1", "P99", "sum", "pNaN", "p1e2"] {
            assert!(Statistic::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_fill_with_zero_other_statistics_with_gaps() {
        assert_eq!(Fill::default_for(Statistic::Sum), Fill::Zero);
        assert_eq!(Fill::default_for(Statistic::SampleCount), Fill::Zero);
        assert_eq!(Fill::default_for(Statistic::Maximum), Fill::None);
        assert_eq!(Fill::default_for(Statistic::Percentile(9_900)), Fill::None);
    }
}
