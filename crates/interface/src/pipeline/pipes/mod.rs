//! Pipes: turn request DTOs into domain types (validation) and clean input (HTML
//! sanitising) before a handler sees it. A failed pipe is a 400 `validation_failed`
//! naming the field.
