//! Database ids as clients send them: positive integers, named by the field they came
//! in, so an error says which one was wrong.

use crate::validation::FieldError;

/// Parses a positive integer id from text (a query parameter), naming `field` in the
/// error.
///
/// # Errors
/// A [`FieldError`] for `field` unless `value` is a positive integer.
pub fn parse_id(field: &'static str, value: &str) -> Result<i64, FieldError> {
    match value.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(FieldError::new(field, "must be a positive integer")),
    }
}

/// Checks a positive integer id that came as a JSON number, naming `field`.
///
/// # Errors
/// A [`FieldError`] for `field` unless `value` is positive.
pub fn check_id(field: &'static str, value: i64) -> Result<i64, FieldError> {
    if value > 0 {
        Ok(value)
    } else {
        Err(FieldError::new(field, "must be a positive integer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers_and_errors_name_their_field() {
        assert_eq!(parse_id("blog_id", " 42 "), Ok(42));
        for bad in ["0", "-1", "x", "", "1.5", "99999999999999999999"] {
            assert_eq!(
                parse_id("blog_id", bad).map_err(|e| e.field),
                Err("blog_id"),
                "{bad}"
            );
        }
        assert_eq!(check_id("id", 7), Ok(7));
        assert_eq!(check_id("id", 0).map_err(|e| e.field), Err("id"));
    }
}
