//! Text fields as every feature takes them — plain text ([`plain_text`]) and HTML
//! ([`rich_text`]), both bounded before anything parses them — and the text inside
//! HTML: how deep its markup nests, what a reader sees, and the folded form keyword
//! search compares.
//!
//! Pure functions over strings, no HTML library: they read either the sanitiser's own
//! output (well-formed, attributes in double quotes, only the entities it writes) or,
//! for [`nesting_depth`], untrusted input that is about to be sanitised — where an
//! over-estimate is harmless (the input is refused) and the scan must stay linear.

use crate::validation::{FieldError, char_count_between, no_invisible_controls, no_nul};

/// The deepest element nesting accepted in a text field's input. Real posts stay far
/// below it; HTML parsers (the sanitiser's included) spend time in proportion to the
/// depth for every tag, so a body of nothing but opening tags would cost seconds of CPU.
pub const MAX_NESTING: usize = 100;

/// Plain text of 1 to `max_chars` characters, counted as the client typed them (markup
/// removed by `to_plain_html`, entities read as the characters they stand for), without
/// control or direction-changing characters, returned HTML-escaped — as stored and
/// served, safe to put into a page as is. At most ten times `max_chars` characters of
/// input are looked at.
///
/// # Errors
/// A [`FieldError`] for `field` when the input is oversized, nests too deep or holds
/// NUL, or when its text is empty, too long or holds invisible control characters.
pub fn plain_text(
    field: &'static str,
    input: &str,
    max_chars: usize,
    to_plain_html: impl FnOnce(&str) -> String,
) -> Result<String, FieldError> {
    bounded_markup(field, input, max_chars.saturating_mul(10))?;
    // The sanitiser would quietly replace it: refuse it as typed.
    no_nul(field, input)?;
    let text = html_text(&to_plain_html(input));
    let text = text.trim();
    char_count_between(field, text, 1, max_chars)?;
    no_invisible_controls(field, text)?;
    Ok(escape_html(text))
}

/// HTML of at most `max_chars` characters of input, nesting at most [`MAX_NESTING`]
/// deep, cleaned by `sanitise`.
///
/// # Errors
/// A [`FieldError`] for `field` when the input is too long, nests too deep or holds NUL.
pub fn rich_text(
    field: &'static str,
    input: &str,
    max_chars: usize,
    sanitise: impl FnOnce(&str) -> String,
) -> Result<String, FieldError> {
    bounded_markup(field, input, max_chars)?;
    no_nul(field, input)?;
    Ok(sanitise(input))
}

/// Checks the size and nesting of untrusted HTML before anything parses it.
fn bounded_markup(field: &'static str, input: &str, max_chars: usize) -> Result<(), FieldError> {
    // Bytes bound characters from above: most inputs pass without counting.
    if input.len() > max_chars {
        char_count_between(field, input, 0, max_chars)?;
    }
    if nesting_depth(input, MAX_NESTING) > MAX_NESTING {
        return Err(FieldError::new(
            field,
            format!("its HTML must not nest elements more than {MAX_NESTING} deep"),
        ));
    }
    Ok(())
}

/// Elements that never have content, so they never nest anything.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements that a sibling of the same name closes (`<li>a<li>b` is two items, not one
/// inside the other), as HTML parsers do.
const CLOSED_BY_SIBLING: &[&str] = &["p", "li", "dt", "dd", "option", "tr", "td", "th"];

/// How deep the elements of `html` nest, counting at most to `limit + 1`.
///
/// Start tags open an element unless they are void or self-closed (`<br/>`); end tags
/// close the innermost open element of their name (stray ones are ignored); comments
/// are skipped. Unclosed elements count, so the result can exceed what a browser
/// builds but never falls short of it — HTML parsers spend time in proportion to that
/// depth for every tag, which is why it is bounded before sanitising. The scan stops
/// once the depth passes `limit`, so its cost is linear in the input.
pub fn nesting_depth(html: &str, limit: usize) -> usize {
    let mut open: Vec<&str> = Vec::new();
    let mut deepest = 0;
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let (closing, tag) = match after.strip_prefix('/') {
            Some(tag) => (true, tag),
            None => (false, after),
        };
        let name_len = tag
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .count();
        if name_len == 0 || !tag.as_bytes()[0].is_ascii_alphabetic() {
            rest = after;
            continue;
        }
        let name = &tag[..name_len];
        let (self_closed, consumed) = tag_end(&tag[name_len..]);
        rest = &tag[name_len + consumed..];
        if closing {
            if let Some(at) = open.iter().rposition(|o| o.eq_ignore_ascii_case(name)) {
                open.truncate(at);
            }
            continue;
        }
        if self_closed || VOID_ELEMENTS.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            continue;
        }
        if CLOSED_BY_SIBLING
            .iter()
            .any(|s| s.eq_ignore_ascii_case(name))
            && open
                .last()
                .is_some_and(|last| last.eq_ignore_ascii_case(name))
        {
            open.pop();
        }
        open.push(name);
        deepest = deepest.max(open.len());
        if deepest > limit {
            break;
        }
    }
    deepest
}

/// Reads the rest of a tag after its name: whether it ends in `/>`, and how many bytes
/// it spans (to the end of the input when it never closes). Quoted attribute values
/// may hold `>`.
fn tag_end(rest: &str) -> (bool, usize) {
    let mut quote: Option<u8> = None;
    let mut previous = 0u8;
    for (i, b) in rest.bytes().enumerate() {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return (previous == b'/', i + 1),
            (None, _) => {}
        }
        previous = b;
    }
    (false, rest.len())
}

/// Escapes plain text the way the sanitiser writes text: `&`, `<`, `>` and the
/// no-break space become entities, so that [`html_text`] gives the text back exactly.
pub fn escape_html(plain: &str) -> String {
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
    out
}

/// What a reader sees of sanitised HTML: tags removed, the sanitiser's entities
/// (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&nbsp;`) decoded. Any other `&` stays as it is.
pub fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(tag) = tail.strip_prefix('<') {
            let (_, consumed) = tag_end(tag);
            rest = &tag[consumed..];
            continue;
        }
        let decoded = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&nbsp;", '\u{a0}'),
        ]
        .into_iter()
        .find(|(entity, _)| tail.starts_with(entity));
        match decoded {
            Some((entity, c)) => {
                out.push(c);
                rest = &tail[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The form keyword search compares on every database: Unicode lower case, no-break
/// spaces as spaces. Applied to the stored search text and to the keyword alike, so a
/// match never depends on how a database folds case.
pub fn fold_for_search(text: &str) -> String {
    text.to_lowercase().replace('\u{a0}', " ")
}

/// The folded text of a blog that `keyword` search looks in: the title's and the
/// content's text as a reader sees them, one line apart.
pub fn search_text(title_html: &str, content_html: &str) -> String {
    fold_for_search(&format!(
        "{}\n{}",
        html_text(title_html),
        html_text(content_html)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_elements_count_and_balanced_ones_do_not_add_up() {
        assert_eq!(nesting_depth("plain text", 100), 0);
        assert_eq!(nesting_depth("<p><b>x</b></p><p>y</p>", 100), 2);
        assert_eq!(nesting_depth(&"<div>".repeat(50), 100), 50);
        assert_eq!(
            nesting_depth(&"<div>x</div>".repeat(5000), 100),
            1,
            "siblings are not nesting"
        );
    }

    #[test]
    fn void_self_closed_and_sibling_closed_elements_do_not_nest() {
        assert_eq!(nesting_depth(&"<br><img src=x><hr/>".repeat(500), 100), 0);
        assert_eq!(nesting_depth(&"<x-tag/>".repeat(500), 100), 0);
        assert_eq!(
            nesting_depth(&format!("<ul>{}</ul>", "<li>a".repeat(500)), 100),
            2
        );
        assert_eq!(nesting_depth(&"<p>para".repeat(500), 100), 1);
    }

    #[test]
    fn the_scan_stops_just_past_the_limit() {
        assert_eq!(nesting_depth(&"<div>".repeat(200_000), 100), 101);
        assert_eq!(nesting_depth(&"<b a=1>".repeat(200), 100), 101);
    }

    #[test]
    fn comments_quoted_brackets_and_stray_end_tags_are_read_correctly() {
        assert_eq!(nesting_depth("<!-- <div><div> --><p>x</p>", 100), 1);
        assert_eq!(nesting_depth("<a title=\"a > b\"><b>x</b></a>", 100), 2);
        assert_eq!(nesting_depth("</div></div><p>x</p>", 100), 1);
        assert_eq!(nesting_depth("a < b and 1<2", 100), 0);
        assert_eq!(nesting_depth("<DIV><div></Div>", 100), 2);
    }

    #[test]
    fn escaping_and_reading_text_are_inverse() {
        for plain in [
            "Tom & Jerry",
            "a < b > c",
            "nbsp\u{a0}here",
            "ÄÖÜ Straße",
            "",
        ] {
            assert_eq!(html_text(&escape_html(plain)), plain);
        }
        assert_eq!(escape_html("Tom & Jerry"), "Tom &amp; Jerry");
    }

    #[test]
    fn the_text_of_html_drops_tags_and_decodes_the_sanitisers_entities() {
        assert_eq!(
            html_text("<p>Tom &amp; <b title=\"x>y\">Jerry</b> &quot;hi&quot;</p>"),
            "Tom & Jerry \"hi\""
        );
        assert_eq!(html_text("AT&T &copy;"), "AT&T &copy;");
    }

    #[test]
    fn search_text_is_folded_the_same_way_as_keywords() {
        let text = search_text("Éclair ÄÖÜ Straße", "<p>Tom &amp;&nbsp;Jerry</p>");
        assert_eq!(text, "éclair äöü straße\ntom & jerry");
        assert!(text.contains(&fold_for_search("ÉCLAIR")));
        assert!(text.contains(&fold_for_search("Tom & Jerry")));
    }
}
