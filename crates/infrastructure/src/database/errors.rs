//! Classifying database errors for the domain's error enums.

use sea_orm::DbErr;

/// Whether the error means "the database cannot be reached" rather than a bug.
pub fn is_unavailable(err: &DbErr) -> bool {
    matches!(err, DbErr::Conn(_) | DbErr::ConnectionAcquire(_))
}

/// Whether the error is a unique-constraint violation, on any of the three databases.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
