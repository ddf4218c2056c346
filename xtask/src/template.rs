//! A small template language for the generator's `templates/*.tmpl` files:
//!
//! - `{{key}}` is a value (`{{Name}}` → `Comment`);
//! - `{{@key}}` is a block of lines made from the fields (`{{@domain_fields}}`);
//! - `{{#flag}} … {{/flag}}` is kept when the flag is on, `{{^flag}} … {{/flag}}` when it
//!   is off (sections nest).
//!
//! A key or flag the context does not have is an error, so a mistake in a template
//! fails the generator instead of writing a broken file. Anything else — including a
//! lone `{` of Rust code — is copied as it is.

use std::collections::HashMap;

use anyhow::{Context as _, bail};

/// What a template is rendered with.
#[derive(Debug, Default)]
pub struct Context {
    values: HashMap<String, String>,
    flags: HashMap<String, bool>,
}

impl Context {
    /// Sets `{{key}}` (and `{{@key}}`).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_owned(), value.into());
    }

    /// Sets the flag `{{#flag}}`/`{{^flag}}` test.
    pub fn flag(&mut self, flag: &str, on: bool) {
        self.flags.insert(flag.to_owned(), on);
    }
}

/// One piece of a parsed template.
#[derive(Debug, PartialEq)]
enum Node {
    Text(String),
    Value(String),
    Section {
        flag: String,
        when: bool,
        body: Vec<Node>,
    },
}

/// Renders `template` with `context`.
///
/// # Errors
/// An unknown key or flag, or sections that do not close in order.
pub fn render(template: &str, context: &Context) -> anyhow::Result<String> {
    let (nodes, rest) = parse(template, None)?;
    if !rest.is_empty() {
        bail!("text after the end of the template");
    }
    let mut out = String::with_capacity(template.len());
    emit(&nodes, context, &mut out)?;
    Ok(out)
}

/// Parses until the closing tag of `open` (or the end), returning what is left.
fn parse<'a>(mut input: &'a str, open: Option<&str>) -> anyhow::Result<(Vec<Node>, &'a str)> {
    let mut nodes = Vec::new();
    let mut text = String::new();
    while !input.is_empty() {
        let Some((tag, len)) = tag_at(input) else {
            let mut chars = input.chars();
            text.extend(chars.next());
            input = chars.as_str();
            continue;
        };
        if !text.is_empty() {
            nodes.push(Node::Text(std::mem::take(&mut text)));
        }
        input = &input[len..];
        match tag.as_bytes()[0] {
            b'/' => {
                let name = &tag[1..];
                if open != Some(name) {
                    bail!("{{{{/{name}}}}} closes no open {{{{#{name}}}}}");
                }
                return Ok((nodes, input));
            }
            b'#' | b'^' => {
                let flag = tag[1..].to_owned();
                let (body, rest) =
                    parse(input, Some(&flag)).with_context(|| format!("in the section {flag}"))?;
                nodes.push(Node::Section {
                    when: tag.starts_with('#'),
                    flag,
                    body,
                });
                input = rest;
            }
            b'@' => nodes.push(Node::Value(tag[1..].to_owned())),
            _ => nodes.push(Node::Value(tag)),
        }
    }
    if !text.is_empty() {
        nodes.push(Node::Text(text));
    }
    if let Some(flag) = open {
        bail!("the section {flag} is never closed");
    }
    Ok((nodes, input))
}

/// The tag at the start of `input` (`{{name}}`, `{{#name}}`, …) and its length.
fn tag_at(input: &str) -> Option<(String, usize)> {
    let inner = input.strip_prefix("{{")?;
    let end = inner.find("}}")?;
    let tag = &inner[..end];
    let name = tag.strip_prefix(['#', '^', '/', '@']).unwrap_or(tag);
    let is_name = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    is_name.then(|| (tag.to_owned(), end + 4))
}

fn emit(nodes: &[Node], context: &Context, out: &mut String) -> anyhow::Result<()> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Value(key) => {
                out.push_str(context.values.get(key).with_context(|| {
                    format!("the template uses {{{{{key}}}}}, which is not set")
                })?)
            }
            Node::Section { flag, when, body } => {
                let on = context
                    .flags
                    .get(flag)
                    .with_context(|| format!("the template tests {flag}, which is not set"))?;
                if on == when {
                    emit(body, context, out)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        let mut context = Context::default();
        context.set("Name", "Comment");
        context.set("parent", "blog");
        context.flag("parent", true);
        context.flag("texts", false);
        context
    }

    #[test]
    fn values_and_sections_render_and_rust_braces_pass_through() {
        let out = render(
            "pub use x::{{{Name}}Id, Y};{{#parent}} ({{parent}}{{^texts}}!{{/texts}}){{/parent}}{{^parent}}none{{/parent}} {a}",
            &context(),
        )
        .expect("rendered");
        assert_eq!(out, "pub use x::{CommentId, Y}; (blog!) {a}");
    }

    #[test]
    fn unknown_keys_and_unbalanced_sections_are_errors() {
        for template in [
            "{{Nope}}",
            "{{#nope}}x{{/nope}}",
            "{{#parent}}x",
            "x{{/parent}}",
        ] {
            assert!(render(template, &context()).is_err(), "{template}");
        }
    }
}
