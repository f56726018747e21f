//! The pages, one module each; each is its own bundle (src/bin/), so a
//! page loads only what it draws. Links between them load the other page
//! (`rel="external"`): each starts from its own URL.

pub mod dashboard;
pub mod overview;
