//! The pieces of the page.

pub mod chart;
pub mod form;
pub mod help;
pub mod overview;
pub mod pickers;
pub mod review;
pub mod status;
pub mod summary;
