//! The fields a generated module holds, and the lines each layer needs for them.

use std::fmt::Write as _;

use anyhow::{Context as _, bail, ensure};

use crate::names::{Names, is_snake, pascal};

/// What kind of value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 1 to 1,000 characters of plain text, stored HTML-escaped.
    Text,
    /// Up to 100,000 characters of sanitised HTML.
    RichText,
    /// A 64-bit integer.
    Int,
    /// true or false.
    Bool,
    /// A time, milliseconds since the epoch in JSON.
    Timestamp,
}

impl Kind {
    fn parse(kind: &str) -> anyhow::Result<Self> {
        Ok(match kind {
            "text" => Self::Text,
            "rich_text" => Self::RichText,
            "int" => Self::Int,
            "bool" => Self::Bool,
            "timestamp" => Self::Timestamp,
            other => bail!("unknown field kind {other:?}: text, rich_text, int, bool or timestamp"),
        })
    }

    /// Whether the field goes through a sanitiser (and has a domain type of its own).
    pub fn is_text(self) -> bool {
        matches!(self, Self::Text | Self::RichText)
    }
}

/// One `--field name:kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// snake_case, as in JSON and the table.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
}

/// Field names every generated module already has.
const TAKEN: &[&str] = &["id", "owner", "owner_id", "created_at", "updated_at"];

impl Field {
    /// Parses `name:kind`.
    ///
    /// # Errors
    /// A malformed spec, a name that is not snake_case, or an unknown kind.
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let (name, kind) = spec
            .split_once(':')
            .with_context(|| format!("--field {spec:?}: write name:kind, e.g. body:text"))?;
        ensure!(
            is_snake(name),
            "--field {spec:?}: {name:?} is not a snake_case name"
        );
        ensure!(
            !TAKEN.contains(&name),
            "--field {spec:?}: every module already has {name}"
        );
        Ok(Self {
            name: name.to_owned(),
            kind: Kind::parse(kind).with_context(|| format!("--field {spec:?}"))?,
        })
    }

    fn pascal(&self) -> String {
        pascal(&self.name)
    }

    fn words(&self) -> String {
        self.name.replace('_', " ")
    }

    /// Its domain type: `CommentBody` for a text field of `comment`, else a plain one.
    fn domain_type(&self, module: &Names) -> String {
        match self.kind {
            Kind::Text | Kind::RichText => format!("{}{}", module.pascal, self.pascal()),
            Kind::Int => "i64".into(),
            Kind::Bool => "bool".into(),
            Kind::Timestamp => "DateTime<Utc>".into(),
        }
    }
}

/// The lines the templates' `{{@…}}` blocks stand for, made from the fields.
pub struct Blocks<'a> {
    module: &'a Names,
    fields: &'a [Field],
}

impl<'a> Blocks<'a> {
    /// Blocks for `fields` of `module`.
    pub fn new(module: &'a Names, fields: &'a [Field]) -> Self {
        Self { module, fields }
    }

    fn lines(&self, line: impl Fn(&Field) -> String) -> String {
        self.fields.iter().map(line).collect::<Vec<_>>().join("\n")
    }

    fn text_types(&self) -> Vec<String> {
        self.fields
            .iter()
            .filter(|f| f.kind.is_text())
            .map(|f| f.domain_type(self.module))
            .collect()
    }

    /// Type names joined for a `use` list, the module's own ones first.
    fn imports(&self, own: &[String]) -> String {
        let mut all: Vec<String> = own.to_vec();
        all.extend(self.text_types());
        all.sort();
        all.join(", ")
    }

    /// Every block, by its key.
    pub fn all(&self) -> Vec<(&'static str, String)> {
        let n = &self.module.pascal;
        let name = &self.module.snake;
        let own = |suffixes: &[&str]| -> Vec<String> {
            suffixes.iter().map(|s| s.replace('*', n)).collect()
        };
        let first = self
            .fields
            .first()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let first_text = self
            .fields
            .iter()
            .find(|f| f.kind.is_text())
            .map(|f| f.name.clone())
            .unwrap_or_default();
        // What the adapter and the service import from the domain: the same types.
        let repository_imports = self.imports(&own(&[
            "*",
            "*Changes",
            "*Error",
            "*Id",
            "*Page",
            "*Query",
            "*Repository",
            "New*",
        ]));
        vec![
            ("first_field", first),
            ("first_text_field", first_text),
            (
                "domain_exports",
                self.imports(&own(&["*", "*Changes", "*Id", "*Page", "*Query", "New*"])),
            ),
            ("infra_domain_imports", repository_imports.clone()),
            ("app_domain_imports", repository_imports),
            ("iface_domain_imports", self.imports(&own(&["*"]))),
            ("iface_pipe_imports", self.pipe_imports()),
            ("domain_types", self.domain_types()),
            (
                "domain_fields",
                self.lines(|f| {
                    format!(
                        "    /// The {}.\n    pub {}: {},",
                        f.words(),
                        f.name,
                        f.domain_type(self.module)
                    )
                }),
            ),
            ("domain_tests", self.domain_tests()),
            ("entity_columns", self.lines(entity_column)),
            (
                "infra_from_row",
                self.lines(|f| {
                    let value = match f.kind {
                        Kind::Text | Kind::RichText => {
                            format!(
                                "{}::from_stored(row.{})",
                                f.domain_type(self.module),
                                f.name
                            )
                        }
                        Kind::Int | Kind::Bool => format!("row.{}", f.name),
                        Kind::Timestamp => format!("stored_time(row.{})?", f.name),
                    };
                    format!("        {}: {value},", f.name)
                }),
            ),
            (
                "infra_insert",
                self.lines(|f| format!("            {}: Set({}),", f.name, to_column(f, name))),
            ),
            (
                "infra_update",
                self.lines(|f| {
                    format!(
                        "            .col_expr(Column::{}, Expr::val({}))",
                        f.pascal(),
                        to_column(f, "changes")
                    )
                }),
            ),
            (
                "migration_columns",
                self.lines(|f| {
                    let make = match f.kind {
                        Kind::Text => "text",
                        Kind::RichText => "long_text",
                        Kind::Int | Kind::Timestamp => "big_integer",
                        Kind::Bool => "boolean",
                    };
                    let column = format!("{}::{}", self.module.plural_pascal, f.pascal());
                    if f.kind == Kind::RichText {
                        format!("                    .col(long_text({column}))")
                    } else {
                        format!("                    .col({make}({column}))")
                    }
                }),
            ),
            (
                "migration_idens",
                self.lines(|f| format!("    {},", f.pascal())),
            ),
            (
                "app_fields_from_draft",
                self.lines(|f| format!("            {0}: draft.{0},", f.name)),
            ),
            (
                "test_draft_fields",
                self.lines(|f| format!("        {}: {},", f.name, sample_value(f, self.module))),
            ),
            (
                "test_fields_from_draft",
                self.lines(|f| format!("        {0}: draft.{0},", f.name)),
            ),
            ("request_fields", self.lines(request_field)),
            (
                "validate_fields",
                self.lines(|f| {
                    let value = match f.kind {
                        Kind::Text | Kind::RichText => format!(
                            "self.{0}.parse(|input, clean| {1}::parse(input, clean))?",
                            f.name,
                            f.domain_type(self.module)
                        ),
                        Kind::Int | Kind::Bool => format!("self.{}", f.name),
                        Kind::Timestamp => format!(
                            "DateTime::from_timestamp_millis(self.{0}).ok_or_else(|| \
                             FieldError::new(\"{0}\", \"must be a time in milliseconds since \
                             the epoch\"))?",
                            f.name
                        ),
                    };
                    format!("            {}: {value},", f.name)
                }),
            ),
            ("view_fields", self.lines(view_field)),
            (
                "view_from",
                self.lines(|f| {
                    let value = match f.kind {
                        Kind::Text | Kind::RichText => {
                            format!("{name}.{}.as_str().to_owned()", f.name)
                        }
                        Kind::Int | Kind::Bool => format!("{name}.{}", f.name),
                        Kind::Timestamp => format!("{name}.{}.timestamp_millis()", f.name),
                    };
                    format!("            {}: {value},", f.name)
                }),
            ),
            (
                "json_sample",
                self.lines(|f| {
                    format!(
                        "        \"{}\": {},",
                        f.name,
                        json_value(f, self.module, false)
                    )
                }),
            ),
            (
                "json_edited",
                self.lines(|f| {
                    format!(
                        "        \"{}\": {},",
                        f.name,
                        json_value(f, self.module, true)
                    )
                }),
            ),
        ]
    }

    fn pipe_imports(&self) -> String {
        let mut pipes = Vec::new();
        if self.fields.iter().any(|f| f.kind == Kind::Text) {
            pipes.push("PlainText");
        }
        if self.fields.iter().any(|f| f.kind == Kind::RichText) {
            pipes.push("RichText");
        }
        pipes.push("Validate");
        pipes.join(", ")
    }

    fn domain_types(&self) -> String {
        let mut out = String::new();
        for field in self.fields.iter().filter(|f| f.kind.is_text()) {
            let ty = field.domain_type(self.module);
            let (doc, max, check, errors) = match field.kind {
                Kind::Text => (
                    "1 to 1,000 characters of plain text, counted as typed (markup removed),\n\
                     /// without control or direction-changing characters; held HTML-escaped, so it\n\
                     /// is safe to put into a page as is.",
                    "1_000",
                    "plain_text",
                    "when it is empty, too long, nests markup too deep or holds invisible\n    \
                     /// control characters.",
                ),
                _ => (
                    "Sanitised HTML, from at most 100,000 characters of input.",
                    "100_000",
                    "rich_text",
                    "when the input is too long, nests too deep or holds NUL.",
                ),
            };
            let _ = write!(
                out,
                r#"/// The {words}: {doc}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct {ty}(String);

impl {ty} {{
    /// The most characters it may have.
    pub const MAX_CHARS: usize = {max};

    /// Checks the field as the client sent it and cleans it with `clean`, the
    /// interface's sanitiser ([`text::{check}`]).
    ///
    /// # Errors
    /// A [`FieldError`] for `{name}` {errors}
    pub fn parse(input: &str, clean: impl FnOnce(&str) -> String) -> Result<Self, FieldError> {{
        text::{check}("{name}", input, Self::MAX_CHARS, clean).map(Self)
    }}

    /// Rebuilds a value read from storage (checked when written).
    pub fn from_stored(value: String) -> Self {{
        Self(value)
    }}

    /// The value, as stored and served.
    pub fn as_str(&self) -> &str {{
        &self.0
    }}
}}

"#,
                words = field.words(),
                name = field.name,
            );
        }
        out
    }

    fn domain_tests(&self) -> String {
        let mut out = String::new();
        for field in self.fields.iter().filter(|f| f.kind.is_text()) {
            let ty = field.domain_type(self.module);
            let name = &field.name;
            let empty_case = if field.kind == Kind::Text {
                format!(
                    "        assert_eq!({ty}::parse(\"\", keep).map_err(|e| e.field), Err(\"{name}\"));\n"
                )
            } else {
                format!(
                    "        assert_eq!({ty}::parse(\"a\\0b\", keep).map_err(|e| e.field), Err(\"{name}\"));\n"
                )
            };
            let _ = write!(
                out,
                r#"
    #[test]
    fn the_{name}_is_checked_and_named_in_errors() {{
        let keep = |input: &str| input.to_owned();
        assert_eq!(
            {ty}::parse("fine", keep).map(|value| value.as_str().to_owned()),
            Ok("fine".to_owned())
        );
{empty_case}        let too_long = "x".repeat({ty}::MAX_CHARS + 1);
        assert_eq!({ty}::parse(&too_long, keep).map_err(|e| e.field), Err("{name}"));
    }}
"#
            );
        }
        out
    }
}

fn entity_column(field: &Field) -> String {
    let (attribute, ty) = match field.kind {
        Kind::Text | Kind::RichText => ("    #[sea_orm(column_type = \"Text\")]\n", "String"),
        Kind::Int => ("", "i64"),
        Kind::Bool => ("", "bool"),
        Kind::Timestamp => ("", "i64"),
    };
    let doc = match field.kind {
        Kind::Timestamp => format!("The {} (milliseconds since the epoch).", field.words()),
        _ => format!("The {}.", field.words()),
    };
    format!("    /// {doc}\n{attribute}    pub {}: {ty},", field.name)
}

/// The column value of `field` of the value `of`.
fn to_column(field: &Field, of: &str) -> String {
    match field.kind {
        Kind::Text | Kind::RichText => format!("{of}.{}.as_str().to_owned()", field.name),
        Kind::Int | Kind::Bool => format!("{of}.{}", field.name),
        Kind::Timestamp => format!("{of}.{}.timestamp_millis()", field.name),
    }
}

fn request_field(field: &Field) -> String {
    let (doc, ty) = match field.kind {
        Kind::Text => (
            "1 to 1,000 characters of text as typed; any HTML is removed, the rest escaped.",
            "PlainText",
        ),
        Kind::RichText => (
            "Up to 100,000 characters of HTML; only harmless formatting survives.",
            "RichText",
        ),
        Kind::Int => ("A whole number.", "i64"),
        Kind::Bool => ("true or false.", "bool"),
        Kind::Timestamp => ("A time, milliseconds since the epoch.", "i64"),
    };
    format!(
        "    /// The {}: {doc}\n    pub {}: {ty},",
        field.words(),
        field.name
    )
}

fn view_field(field: &Field) -> String {
    let (doc, ty) = match field.kind {
        Kind::Text => ("plain text, HTML-escaped", "String"),
        Kind::RichText => ("sanitised HTML", "String"),
        Kind::Int => ("a whole number", "i64"),
        Kind::Bool => ("true or false", "bool"),
        Kind::Timestamp => ("milliseconds since the epoch", "i64"),
    };
    format!(
        "    /// The {} ({doc}).\n    pub {}: {ty},",
        field.words(),
        field.name
    )
}

/// A valid value of `field` in the service's unit tests (Rust).
fn sample_value(field: &Field, module: &Names) -> String {
    match field.kind {
        Kind::Text | Kind::RichText => format!(
            "{}::from_stored({}.to_owned())",
            field.domain_type(module),
            json_value(field, module, false)
        ),
        Kind::Int => "42".into(),
        Kind::Bool => "true".into(),
        Kind::Timestamp => "now()".into(),
    }
}

/// A valid value of `field` in the API tests (JSON), as sent and as served back; the
/// `edited` one differs from the first.
fn json_value(field: &Field, module: &Names, edited: bool) -> String {
    match (field.kind, edited) {
        (Kind::Text, false) => format!("\"A first {}\"", module.words),
        (Kind::Text, true) => format!("\"An edited {}\"", module.words),
        (Kind::RichText, false) => "\"<p>Hello <b>world</b></p>\"".into(),
        (Kind::RichText, true) => "\"<p>Edited</p>\"".into(),
        (Kind::Int, false) => "42".into(),
        (Kind::Int, true) => "43".into(),
        (Kind::Bool, false) => "true".into(),
        (Kind::Bool, true) => "false".into(),
        (Kind::Timestamp, false) => "1_795_000_000_000_i64".into(),
        (Kind::Timestamp, true) => "1_795_000_060_000_i64".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_a_snake_case_name_and_a_known_kind() {
        assert_eq!(
            Field::parse("due_at:timestamp").ok(),
            Some(Field {
                name: "due_at".into(),
                kind: Kind::Timestamp
            })
        );
        for bad in [
            "body",
            "Body:text",
            "body:string",
            "id:int",
            "owner:text",
            ":text",
        ] {
            assert!(Field::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_text_field_gets_its_own_domain_type() {
        let module = Names::new("comment").expect("valid");
        let field = Field::parse("body:text").expect("valid");
        assert_eq!(field.domain_type(&module), "CommentBody");
        let int = Field::parse("likes:int").expect("valid");
        assert_eq!(int.domain_type(&module), "i64");
    }
}
