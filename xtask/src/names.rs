//! The names one module goes by in every layer: `blog_note` is the folder and the
//! route, `BlogNote` the types, `blog_notes` the table and `BlogNotes` its identifier,
//! "blog note" the words of messages and docs.

use anyhow::{bail, ensure};

/// Words Rust or the workspace already uses for something else.
const RESERVED: &[&str] = &[
    "as", "async", "await", "crate", "dyn", "enum", "fn", "impl", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "self", "static", "struct", "super", "trait", "type", "unsafe",
    "use", "where", "while", "yield", "test", "tests", "main", "lib", "common",
];

/// One name in its every form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// `blog_note`
    pub snake: String,
    /// `BlogNote`
    pub pascal: String,
    /// `blog_notes`
    pub plural: String,
    /// `BlogNotes`
    pub plural_pascal: String,
    /// `blog note`
    pub words: String,
    /// `blog notes`
    pub words_plural: String,
}

impl Names {
    /// The forms of `snake`, a singular snake_case name.
    ///
    /// # Errors
    /// When `snake` is not lower-case snake_case starting with a letter, or is reserved.
    pub fn new(snake: &str) -> anyhow::Result<Self> {
        ensure!(
            is_snake(snake),
            "{snake:?} is not a snake_case name (a-z, 0-9 and single underscores, starting with a letter)"
        );
        if RESERVED.contains(&snake) {
            bail!("{snake:?} is a word Rust or this workspace already uses");
        }
        let plural = plural(snake);
        Ok(Self {
            pascal: pascal(snake),
            plural_pascal: pascal(&plural),
            words: snake.replace('_', " "),
            words_plural: plural.replace('_', " "),
            plural,
            snake: snake.to_owned(),
        })
    }
}

/// Whether `name` is `a-z`, `0-9` and single inner underscores, starting with a letter.
pub fn is_snake(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__")
}

/// `blog_note` → `BlogNote`.
pub fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The English plural of the last word: `note` → `notes`, `box` → `boxes`, `entry` →
/// `entries`.
pub fn plural(snake: &str) -> String {
    let vowel_before_y = snake
        .strip_suffix('y')
        .is_some_and(|rest| rest.ends_with(['a', 'e', 'i', 'o', 'u']));
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| snake.ends_with(end))
    {
        format!("{snake}es")
    } else if let (Some(rest), false) = (snake.strip_suffix('y'), vowel_before_y) {
        format!("{rest}ies")
    } else {
        format!("{snake}s")
    }
}

/// "blog note" → "Blog note".
pub fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_in_its_every_form() {
        let names = Names::new("blog_note").expect("valid");
        assert_eq!(names.pascal, "BlogNote");
        assert_eq!(names.plural, "blog_notes");
        assert_eq!(names.plural_pascal, "BlogNotes");
        assert_eq!(names.words, "blog note");
        assert_eq!(names.words_plural, "blog notes");
    }

    #[test]
    fn plurals_follow_english_spelling() {
        for (one, many) in [
            ("comment", "comments"),
            ("box", "boxes"),
            ("entry", "entries"),
            ("day", "days"),
            ("status", "statuses"),
            ("batch", "batches"),
        ] {
            assert_eq!(plural(one), many);
        }
    }

    #[test]
    fn names_that_are_not_snake_case_or_are_reserved_are_refused() {
        for bad in [
            "Comment",
            "1st",
            "blog-note",
            "a__b",
            "note_",
            "",
            "mod",
            "crate",
        ] {
            assert!(Names::new(bad).is_err(), "{bad}");
        }
    }
}
