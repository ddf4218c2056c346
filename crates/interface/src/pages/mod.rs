//! The HTML pages the binary serves itself: plain HTML, no build step, no CDN.

mod controller;

pub use controller::PagesController;
