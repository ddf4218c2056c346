//! Pipes: turn request DTOs into domain types (validation) and clean input (HTML
//! sanitising) before a handler sees it. A failed pipe is a 400 `validation_failed`
//! naming the field.
//!
//! A DTO opts in by implementing [`Validate`]; a handler then takes `Valid<Dto>` instead
//! of `Json<Dto>` and receives the domain value — it cannot forget to validate.
//!
//! A DTO field declared as [`PlainText`] or [`RichText`] is sanitised while parsing.

mod sanitize;
mod validation;

pub use sanitize::{NoMarkup, PlainText, RichText, SafeHtml, SanitizePolicy, Sanitized};
pub use validation::{Valid, Validate};
