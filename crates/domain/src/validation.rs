//! The error every `parse` constructor returns: which field, and what is wrong.

/// A value that cannot become a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// The field's name as clients send it (`username`, `title`).
    pub field: &'static str,
    /// What is wrong, in words a client can act on.
    pub problem: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// Checks that `value` has between `min` and `max` characters (not bytes).
///
/// # Errors
/// A [`FieldError`] naming `field` and the bounds.
pub fn char_count_between(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), FieldError> {
    let count = value.chars().count();
    if count < min || count > max {
        return Err(FieldError::new(
            field,
            format!("must be {min} to {max} characters long (got {count})"),
        ));
    }
    Ok(())
}

/// Whether `c` is a control or bidirectional-formatting character: invisible, and
/// able to make a name or title read differently from what it is (U+202E turns
/// "txt.exe" into "exe.txt"). The contract's list: U+0000–U+001F, U+007F–U+009F,
/// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069.
pub fn is_invisible_control(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Refuses text holding a character [`is_invisible_control`] names.
///
/// # Errors
/// A [`FieldError`] for `field` naming the first such character by its code point.
pub fn no_invisible_controls(field: &'static str, value: &str) -> Result<(), FieldError> {
    match value.chars().find(|c| is_invisible_control(*c)) {
        Some(c) => Err(FieldError::new(
            field,
            format!(
                "must not contain control or direction-changing characters (found U+{:04X})",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// Refuses text holding U+0000, which PostgreSQL cannot store in a text column: the
/// same input must get the same answer on every database.
///
/// # Errors
/// A [`FieldError`] for `field`.
pub fn no_nul(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.contains('\0') {
        return Err(FieldError::new(field, "must not contain the NUL character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_direction_overrides_are_refused_and_named() {
        for bad in [
            "a\u{202e}b",
            "tab\there",
            "nul\0",
            "\u{85}",
            "\u{2066}x",
            "\u{200f}",
        ] {
            let err = no_invisible_controls("title", bad).expect_err(bad);
            assert_eq!(err.field, "title");
            assert!(err.problem.contains("U+"), "{}", err.problem);
        }
        for good in ["Ünïcödé 字 😀", "a-b_c (d)", "\u{200d}joined"] {
            assert!(no_invisible_controls("title", good).is_ok(), "{good}");
        }
    }

    #[test]
    fn nul_is_refused_and_other_text_passes() {
        assert!(no_nul("keyword", "a\0b").is_err());
        assert!(no_nul("keyword", "a\tb").is_ok());
    }
}
