//! The sanitising pipe: HTML cleaned by declaration, on the DTO field's type.
//!
//! A DTO field typed [`PlainText`] or [`RichText`] is cleaned while the body is parsed,
//! before any handler or validation sees it — so no handler can forget, and no
//! `<script>`, `on*=` attribute or `javascript:` URL is ever stored.
//!
//! - [`PlainText`] keeps no markup at all: tags are dropped (script and style with
//!   their content), the text is HTML-escaped, safe to put into a page as is.
//! - [`RichText`] keeps harmless formatting (`<b>`, `<p>`, `<a href="https://…">`, …,
//!   ammonia's default allow-list) and drops everything else.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::LazyLock;

use ammonia::Builder;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
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

/// A string field that is sanitised with policy `P` as it is parsed.
#[derive(Debug)]
pub struct Sanitized<P> {
    value: String,
    policy: PhantomData<P>,
}

/// A field cleaned to plain text (titles).
pub type PlainText = Sanitized<NoMarkup>;
/// A field cleaned to safe HTML (blog bodies).
pub type RichText = Sanitized<SafeHtml>;

impl<P: SanitizePolicy> Sanitized<P> {
    /// Cleans `input`.
    pub fn new(input: &str) -> Self {
        Self {
            value: P::clean(input),
            policy: PhantomData,
        }
    }

    /// The cleaned text.
    pub fn as_str(&self) -> &str {
        &self.value
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
        Some(&self.value)
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
            Some(Value::String(text)) => Ok(Self::new(&text)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl<P: SanitizePolicy> ToJSON for Sanitized<P> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.value.clone()))
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
            harmless(RichText::new(attack).as_str());
        }
        let kept = RichText::new("<p><b>bold</b> <a href=\"https://example.com\">link</a></p>");
        assert!(kept.as_str().contains("<b>bold</b>"));
        assert!(kept.as_str().contains("href=\"https://example.com\""));
        assert!(kept.as_str().starts_with("<p>"));
    }

    #[test]
    fn plain_text_keeps_no_markup_at_all() {
        for attack in ATTACKS {
            let cleaned = PlainText::new(attack);
            harmless(cleaned.as_str());
            assert!(!cleaned.as_str().contains('<'), "{}", cleaned.as_str());
        }
        assert_eq!(PlainText::new("<b>Hello</b> world").as_str(), "Hello world");
        assert_eq!(PlainText::new("Tom & Jerry").as_str(), "Tom &amp; Jerry");
    }

    #[test]
    fn only_strings_parse() {
        assert!(PlainText::parse_from_json(Some(Value::from(5))).is_err());
        assert!(PlainText::parse_from_json(None).is_err());
    }
}
