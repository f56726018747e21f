//! The pieces of the page.

pub mod chart;
pub mod status;
