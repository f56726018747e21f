//! Dimension values (load balancers, target groups, availability zones) and
//! regions, each checked against the format AWS gives it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::DimensionName;
use crate::error::ViewError;

/// The `LoadBalancer` dimension: `app/<name>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LoadBalancer(String);

/// The `TargetGroup` dimension: `targetgroup/<name>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TargetGroup(String);

/// The `AvailabilityZone` dimension, such as `us-east-1a`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AvailabilityZone(String);

/// An AWS region code, such as `eu-west-1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Region(String);

const LOAD_BALANCER_FORMAT: &str = "a load balancer as CloudWatch names it, `app/<name>/<id>`: \
    a name of 1 to 32 letters, digits or inner hyphens and a 16-digit hexadecimal id, \
    e.g. app/edge-alb/50dc6c495c0c9188";
const TARGET_GROUP_FORMAT: &str = "a target group as CloudWatch names it, `targetgroup/<name>/<id>`: \
    a name of 1 to 32 letters, digits or inner hyphens and a 16-digit hexadecimal id, \
    e.g. targetgroup/api-tls/73e2d6bc24d8a067";
const ZONE_FORMAT: &str = "an availability zone name of up to 32 lowercase letters, digits \
    and hyphens, e.g. us-east-1a";
const REGION_FORMAT: &str = "an AWS region code, e.g. us-east-1";

impl LoadBalancer {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        parse_arn_suffix(text, "app")
            .map(|()| Self(text.to_string()))
            .ok_or_else(|| ViewError::invalid("lb", text, LOAD_BALANCER_FORMAT))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The readable part, `edge-alb` in `app/edge-alb/50dc6c495c0c9188`.
    pub fn name(&self) -> &str {
        readable_name(&self.0)
    }
}

impl TargetGroup {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        parse_arn_suffix(text, "targetgroup")
            .map(|()| Self(text.to_string()))
            .ok_or_else(|| ViewError::invalid("tg", text, TARGET_GROUP_FORMAT))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The readable part, `api-tls` in `targetgroup/api-tls/73e2d6bc24d8a067`.
    pub fn name(&self) -> &str {
        readable_name(&self.0)
    }
}

impl AvailabilityZone {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        let parts: Vec<&str> = text.split('-').collect();
        let well_formed = text.len() <= 32
            && parts.len() >= 3
            && parts[0].len() == 2
            && parts[0].bytes().all(|b| b.is_ascii_lowercase())
            && parts
                .iter()
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if well_formed { Ok(Self(text.to_string())) } else { Err(ViewError::invalid("az", text, ZONE_FORMAT)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Region {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        let parts: Vec<&str> = text.split('-').collect();
        let (last, words) = parts.split_last().expect("split yields at least one part");
        let well_formed = text.len() <= 32
            && parts.len() >= 3
            && words[0].len() == 2
            && words.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
            && (1..=2).contains(&last.len())
            && last.bytes().all(|b| b.is_ascii_digit());
        if well_formed { Ok(Self(text.to_string())) } else { Err(ViewError::invalid("region", text, REGION_FORMAT)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_str {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(LoadBalancer, TargetGroup, AvailabilityZone, Region);

/// Checks `<kind>/<name>/<16 hex digits>`, the suffix of an ELB ARN that
/// CloudWatch uses as a dimension value.
fn parse_arn_suffix(text: &str, kind: &str) -> Option<()> {
    let mut parts = text.split('/');
    let (prefix, name, id) = (parts.next()?, parts.next()?, parts.next()?);
    let name_ok = (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    let id_ok = id.len() == 16 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (parts.next().is_none() && prefix == kind && name_ok && id_ok).then_some(())
}

/// The readable name in a dimension value, `<kind>/<name>/<id>` (the value
/// itself when it is not of that form, as for zones).
pub fn readable_name(value: &str) -> &str {
    value.split('/').nth(1).unwrap_or(value)
}

/// One combination of dimension values: what one series shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimensions {
    pub load_balancer: LoadBalancer,
    pub target_group: Option<TargetGroup>,
    pub availability_zone: Option<AvailabilityZone>,
}

impl Dimensions {
    /// The dimensions as CloudWatch name/value pairs, always in the same order
    /// (LoadBalancer, TargetGroup, AvailabilityZone): CloudWatch ignores the
    /// order, but some compatible servers match dimensions only in put order.
    pub fn pairs(&self) -> Vec<(DimensionName, &str)> {
        let mut pairs = vec![(DimensionName::LoadBalancer, self.load_balancer.as_str())];
        if let Some(tg) = &self.target_group {
            pairs.push((DimensionName::TargetGroup, tg.as_str()));
        }
        if let Some(az) = &self.availability_zone {
            pairs.push((DimensionName::AvailabilityZone, az.as_str()));
        }
        pairs
    }

    /// The dimension names, in the order of [`Dimensions::pairs`].
    pub fn names(&self) -> Vec<DimensionName> {
        self.pairs().into_iter().map(|(name, _)| name).collect()
    }

    /// Reads CloudWatch name/value pairs (in any order). `None` for pairs that
    /// do not describe an ALB series: unknown names, repeats or malformed values.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Self> {
        let mut load_balancer = None;
        let mut target_group = None;
        let mut availability_zone = None;
        for (name, value) in pairs {
            let slot_was_empty = match name {
                "LoadBalancer" => load_balancer.replace(LoadBalancer::parse(value).ok()?).is_none(),
                "TargetGroup" => target_group.replace(TargetGroup::parse(value).ok()?).is_none(),
                "AvailabilityZone" => availability_zone.replace(AvailabilityZone::parse(value).ok()?).is_none(),
                _ => return None,
            };
            if !slot_was_empty {
                return None;
            }
        }
        Some(Self { load_balancer: load_balancer?, target_group, availability_zone })
    }

    /// The dimensions as the JSON object of a series.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.pairs().into_iter().map(|(name, value)| (name.as_str().to_string(), value.to_string())).collect()
    }

    /// A short readable label: the names of the parts, joined.
    pub fn label(&self) -> String {
        let mut parts = vec![self.load_balancer.name()];
        if let Some(tg) = &self.target_group {
            parts.push(tg.name());
        }
        if let Some(az) = &self.availability_zone {
            parts.push(az.as_str());
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_balancers_follow_the_cloudwatch_format() {
        let lb = LoadBalancer::parse("app/edge-alb/50dc6c495c0c9188").unwrap();
        assert_eq!(lb.name(), "edge-alb");
        for bad in [
            "",
            "edge-alb",
            "app/edge-alb",
            "net/edge-alb/50dc6c495c0c9188",
            "app/-edge/50dc6c495c0c9188",
            "app/edge_alb/50dc6c495c0c9188",
            "app/edge-alb/50DC6C495C0C9188",
            "app/edge-alb/50dc6c495c0c918",
            "app/edge-alb/50dc6c495c0c9188/x",
            "app/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/50dc6c495c0c9188",
        ] {
            assert!(LoadBalancer::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn target_groups_zones_and_regions_are_checked() {
        assert_eq!(TargetGroup::parse("targetgroup/api-tls/73e2d6bc24d8a067").unwrap().name(), "api-tls");
        assert!(TargetGroup::parse("app/api-tls/73e2d6bc24d8a067").is_err());
        for zone in ["us-east-1a", "eu-central-1c", "us-west-2-lax-1a"] {
            AvailabilityZone::parse(zone).unwrap();
        }
        for zone in ["", "US-EAST-1A", "us east 1a", "us--1a", "u-east-1a"] {
            assert!(AvailabilityZone::parse(zone).is_err(), "{zone}");
        }
        for region in ["us-east-1", "us-gov-west-1", "ap-southeast-4"] {
            Region::parse(region).unwrap();
        }
        for region in ["", "us-east", "useast1", "us-east-1a", "US-EAST-1", "us-east-100"] {
            assert!(Region::parse(region).is_err(), "{region}");
        }
    }

    #[test]
    fn dimensions_are_read_in_any_order_and_written_in_one() {
        let dims = Dimensions::from_pairs([
            ("AvailabilityZone", "us-east-1a"),
            ("LoadBalancer", "app/edge-alb/50dc6c495c0c9188"),
        ])
        .unwrap();
        assert_eq!(
            dims.pairs(),
            vec![
                (DimensionName::LoadBalancer, "app/edge-alb/50dc6c495c0c9188"),
                (DimensionName::AvailabilityZone, "us-east-1a"),
            ]
        );
        assert_eq!(dims.label(), "edge-alb · us-east-1a");
        assert!(Dimensions::from_pairs([("TargetGroup", "targetgroup/a/73e2d6bc24d8a067")]).is_none());
        assert!(Dimensions::from_pairs([("LoadBalancer", "app/a/73e2d6bc24d8a067"), ("Foo", "x")]).is_none());
    }
}
