//! The pieces of the pages: components with typed props, reading the
//! dashboard's shared state through `state`'s `use_...()` helpers.

pub mod alarm;
pub mod chart;
pub mod form;
pub mod help;
pub mod line_toggles;
pub mod masthead;
pub mod pickers;
pub mod probe;
pub mod review;
pub mod status;
pub mod summary;
