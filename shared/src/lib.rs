//! The types and rules that the tlswatch proxy and its browser frontend share.
//!
//! Everything here is pure (no I/O, no clock): the caller passes "now" in. The
//! crate compiles for native targets and for `wasm32-unknown-unknown`, so the
//! two ends of the wire parse, validate and describe a view with the same code
//! and cannot drift apart.
//!
//! Data flows one way: a URL query string becomes a [`View`], a view resolves
//! into a [`Plan`] (the exact range and period asked of CloudWatch), the source
//! answers, and [`answer::assemble`] turns the answer into the
//! [`api::SeriesResponse`] the chart draws.

pub mod account;
pub mod alarm;
pub mod alarm_export;
pub mod annotate;
pub mod answer;
pub mod api;
pub mod breakdown;
pub mod catalog;
pub mod change_marks;
pub mod changes;
pub mod dims;
pub mod display;
pub mod error;
pub mod fleet_review;
pub mod fleet_summary;
pub mod grid;
pub mod menus;
pub mod overview;
pub mod plan;
pub mod probe;
pub mod probe_plan;
pub mod queries;
pub mod query;
pub mod rates;
pub mod review;
pub mod stat;
pub mod summary;
pub mod time;
pub mod tls;
pub mod view;

#[cfg(test)]
mod testing;

pub use account::AccountName;
pub use catalog::Metric;
pub use dims::{AvailabilityZone, Dimensions, LoadBalancer, Region, TargetGroup};
pub use display::{Refresh, TimeZone};
pub use error::{ErrorCode, ViewError};
pub use plan::Plan;
pub use queries::Query;
pub use stat::{Fill, Statistic};
pub use time::TimeSpec;
pub use view::{Breakdown, Period, View};
