//! The sanitising pipe: HTML cleaned by declaration, on the DTO field's type.
//!
//! A DTO field typed [`PlainText`] or [`RichText`] holds the client's text as sent, and
//! gives it out only through [`Sanitized::parse`], which hands the domain type's
//! `parse` both the input (to bound its size and nesting first) and the policy's
//! cleaner — so no handler can store text uncleaned, and no `<script>`, `on*=`
//! attribute or `javascript:` URL is ever stored.
//!
//! - [`PlainText`] keeps no markup at all: tags are dropped (script and style with
//!   their content), the text is HTML-escaped, safe to put into a page as is.
//! - [`RichText`] keeps harmless formatting (`<b>`, `<p>`, `<a href="https://…">`, …,
//!   ammonia's default allow-list) and drops everything else.
//!
//! Cleaning parses HTML, which costs CPU in proportion to the input's size and
//! nesting: the domain bounds both before the cleaner runs, and `Valid` runs DTOs
//! holding such fields on the blocking pool (see `validation.rs`).

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::LazyLock;

use ammonia::Builder;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use qblog_domain::validation::FieldError;
use serde_json::Value;

/// How a [`Sanitized`] field is cleaned.
pub trait SanitizePolicy: Send + Sync + 'static {
    /// Said in the OpenAPI document.
    const DESCRIPTION: &'static str;
    /// Cleans untrusted input.
    fn clean(input: &str) -> String;
}

static NO_MARKUP: LazyLock<Builder<'static>> = LazyLock::new(Builder::empty);
static SAFE_HTML: LazyLock<Builder<'static>> = LazyLock::new(Builder::default);

/// Text without any markup.
#[derive(Debug)]
pub struct NoMarkup;

impl SanitizePolicy for NoMarkup {
    const DESCRIPTION: &'static str = "Plain text: any HTML is removed and the rest escaped.";

    fn clean(input: &str) -> String {
        NO_MARKUP.clean(input).to_string()
    }
}

/// HTML limited to harmless formatting.
#[derive(Debug)]
pub struct SafeHtml;

impl SanitizePolicy for SafeHtml {
    const DESCRIPTION: &'static str = "HTML: harmless formatting is kept; scripts, event handlers and javascript: URLs are removed.";

    fn clean(input: &str) -> String {
        SAFE_HTML.clean(input).to_string()
    }
}

/// A string field to be sanitised with policy `P`: the text as the client sent it,
/// reachable only through [`Sanitized::parse`].
#[derive(Debug)]
pub struct Sanitized<P> {
    input: String,
    policy: PhantomData<P>,
}

/// A field cleaned to plain text (titles).
pub type PlainText = Sanitized<NoMarkup>;
/// A field cleaned to safe HTML (blog bodies).
pub type RichText = Sanitized<SafeHtml>;

impl<P: SanitizePolicy> Sanitized<P> {
    /// Holds `input` for cleaning.
    pub fn new(input: impl Into<String>) -> Self {
        Self {
            input: input.into(),
            policy: PhantomData,
        }
    }

    /// Builds a domain value with `parse`, which receives the input and the policy's
    /// cleaner: it checks the input's bounds, then cleans (`BlogTitle::parse`).
    ///
    /// # Errors
    /// Whatever `parse` refuses.
    pub fn parse<T>(
        &self,
        parse: impl FnOnce(&str, fn(&str) -> String) -> Result<T, FieldError>,
    ) -> Result<T, FieldError> {
        parse(&self.input, P::clean)
    }
}

impl<P: SanitizePolicy> Type for Sanitized<P> {
    const IS_REQUIRED: bool = true;

    type RawValueType = String;

    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new("string");
        schema.description = Some(P::DESCRIPTION);
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.input)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<P: SanitizePolicy> ParseFromJSON for Sanitized<P> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Ok(Self::new(text)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl<P: SanitizePolicy> ToJSON for Sanitized<P> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.input.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTACKS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<svg onload=alert(1)>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<p style=\"background:url(javascript:alert(1))\">x</p>",
        "<scr<script>ipt>alert(1)</script>",
    ];

    fn harmless(cleaned: &str) {
        let lower = cleaned.to_lowercase();
        assert!(!lower.contains("<script"), "{cleaned}");
        assert!(!lower.contains("onerror"), "{cleaned}");
        assert!(!lower.contains("onload"), "{cleaned}");
        assert!(!lower.contains("javascript:"), "{cleaned}");
        assert!(!lower.contains("<iframe"), "{cleaned}");
    }

    #[test]
    fn rich_text_drops_every_attack_and_keeps_harmless_formatting() {
        for attack in ATTACKS {
            harmless(&SafeHtml::clean(attack));
        }
        let kept = SafeHtml::clean("<p><b>bold</b> <a href=\"https://example.com\">link</a></p>");
        assert!(kept.contains("<b>bold</b>"));
        assert!(kept.contains("href=\"https://example.com\""));
        assert!(kept.starts_with("<p>"));
    }

    #[test]
    fn plain_text_keeps_no_markup_at_all() {
        for attack in ATTACKS {
            let cleaned = NoMarkup::clean(attack);
            harmless(&cleaned);
            assert!(!cleaned.contains('<'), "{cleaned}");
        }
        assert_eq!(NoMarkup::clean("<b>Hello</b> world"), "Hello world");
        assert_eq!(NoMarkup::clean("Tom & Jerry"), "Tom &amp; Jerry");
    }

    #[test]
    fn the_input_reaches_the_domain_only_with_the_fields_cleaner() {
        let field = PlainText::new("<b>Tom</b> & Jerry");
        let seen = field
            .parse(|input, clean| Ok((input.to_owned(), clean(input))))
            .expect("parsed");
        assert_eq!(seen.0, "<b>Tom</b> & Jerry");
        assert_eq!(seen.1, "Tom &amp; Jerry");
    }

    #[test]
    fn only_strings_parse() {
        assert!(PlainText::parse_from_json(Some(Value::from(5))).is_err());
        assert!(PlainText::parse_from_json(None).is_err());
    }
}
