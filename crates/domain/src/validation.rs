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
