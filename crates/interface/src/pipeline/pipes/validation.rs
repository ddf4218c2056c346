//! The validation pipe: JSON body → DTO → domain type, or a 400 naming the field.
//!
//! Types are strict: a field the schema calls a string must be a JSON string (a
//! number is not turned into one), and so on for every type. An error names the field
//! and the expected type and never repeats the submitted value, which may be a
//! password.
//!
//! A DTO whose fields are sanitised (`Validate::SANITISES`) is converted on Tokio's
//! blocking pool, at most [`sanitising_permits`] at a time, with the permit owned by
//! the blocking job: a client that disconnects cannot free the slot while its job
//! still runs, and the async workers keep serving every other request meanwhile.

use std::sync::{Arc, LazyLock};

use poem::{Request, RequestBody, Result};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use qblog_domain::validation::FieldError;
use tokio::sync::Semaphore;

use serde_json::Value;

use crate::pipeline::filters::{ApiError, ErrorCode};

/// A request DTO that knows how to become its domain value.
pub trait Validate {
    /// The parsed, valid value the handler receives.
    type Output;

    /// Whether converting runs a sanitiser (HTML parsing, milliseconds of CPU): then
    /// it runs on the blocking pool instead of an async worker.
    const SANITISES: bool = false;

    /// Checks every field and converts.
    ///
    /// # Errors
    /// The first field that is wrong.
    fn validate(self) -> Result<Self::Output, FieldError>;
}

/// A JSON body that passed its [`Validate`] pipe; documented exactly like `Json<T>`.
#[derive(Debug)]
pub struct Valid<T: Validate>(pub T::Output);

/// How many sanitising conversions run at once: half the CPU cores (at least one),
/// so hostile bodies can never take every core from the async workers.
pub fn sanitising_permits() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().div_ceil(2))
}

static SANITISING: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new(sanitising_permits())));

/// JSON value → DTO → domain value.
fn convert<T: Validate + ParseFromJSON>(value: Value) -> Result<T::Output, ApiError> {
    // The framework's message quotes the value it could not parse: never shown.
    let dto = T::parse_from_json(Some(value)).map_err(|_| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            "the body does not match the documented schema",
        )
    })?;
    dto.validate().map_err(ApiError::from)
}

impl<'a, T> ApiExtractor<'a> for Valid<T>
where
    T: Validate + ParseFromJSON + ToJSON + Send + 'static,
    T::Output: Send + 'static,
{
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Json<T> as ApiExtractor<'a>>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        <Json<T> as ApiExtractor<'a>>::request_meta()
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> Result<Self> {
        // Content type and JSON syntax are checked as for any JSON body; then a missing
        // field is named (the framework's own message would not say which).
        let Json(value) =
            <Json<Value> as ApiExtractor<'a>>::from_request(request, body, param_opts).await?;
        if !value.is_object() {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "the body must be a JSON object",
            )
            .into());
        }
        if let Some(field) = missing_required_field::<T>(&value) {
            return Err(ApiError::validation(field, "is required").into());
        }
        if let Some((field, expected)) = mistyped_field::<T>(&value) {
            return Err(ApiError::validation(field, format!("must be {expected}")).into());
        }
        if !T::SANITISES {
            return Ok(Valid(convert::<T>(value)?));
        }
        let permit = Arc::clone(&SANITISING)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal("the sanitising semaphore was closed"))?;
        let converted = tokio::task::spawn_blocking(move || {
            let _held_until_done = permit;
            convert::<T>(value)
        })
        .await
        .map_err(|err| ApiError::internal(format!("the sanitising job failed: {err}")))?;
        Ok(Valid(converted?))
    }
}

/// `T`'s schema, as the OpenAPI document shows it.
fn schema_of<T: ParseFromJSON>() -> Option<MetaSchema> {
    let mut registry = Registry::new();
    T::register(&mut registry);
    registry.schemas.remove(T::name().as_ref())
}

/// The first field `T`'s schema requires that `value` lacks (or holds `null`).
fn missing_required_field<T: ParseFromJSON>(value: &Value) -> Option<&'static str> {
    schema_of::<T>()?
        .required
        .iter()
        .copied()
        .find(|field| value.get(field).is_none_or(Value::is_null))
}

/// The first field of `value` whose JSON type is not the one `T`'s schema gives it,
/// and that type in words (`"a string"`). `null` is left to the required check.
fn mistyped_field<T: ParseFromJSON>(value: &Value) -> Option<(&'static str, &'static str)> {
    let schema = schema_of::<T>()?;
    schema.properties.iter().find_map(|(name, property)| {
        let given = value.get(name).filter(|v| !v.is_null())?;
        let (ty, format) = match property {
            MetaSchemaRef::Inline(schema) => (schema.ty, schema.format),
            MetaSchemaRef::Reference(_) => ("object", None),
        };
        let (fits, words) = match (ty, format) {
            ("integer", Some("int32")) => (
                given.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                "a whole number from -2147483648 to 2147483647",
            ),
            ("integer", Some("uint32")) => (
                given.as_u64().is_some_and(|n| u32::try_from(n).is_ok()),
                "a whole number from 0 to 4294967295",
            ),
            ("integer", Some("int64")) => (given.is_i64(), "a whole number"),
            ("integer", Some("uint64")) => (given.is_u64(), "a whole number from 0 up"),
            (ty, _) => fits(ty, given),
        };
        (!fits).then_some((*name, words))
    })
}

/// Whether `given` is a JSON value of the schema type `ty`, and the type in words.
fn fits(ty: &str, given: &Value) -> (bool, &'static str) {
    match ty {
        "string" => (given.is_string(), "a string"),
        "integer" => (given.is_i64() || given.is_u64(), "an integer"),
        "number" => (given.is_number(), "a number"),
        "boolean" => (given.is_boolean(), "true or false"),
        "array" => (given.is_array(), "an array"),
        "object" => (given.is_object(), "an object"),
        _ => (true, ""),
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::Object;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Object)]
    struct Sample {
        name: String,
        count: u32,
        blog_id: Option<i64>,
        ratio: Option<f64>,
        flag: Option<bool>,
    }

    #[test]
    fn a_field_of_the_wrong_json_type_is_named_with_the_type_it_must_be() {
        for (body, field, words) in [
            (json!({"name": 5, "count": 1}), "name", "a string"),
            (json!({"name": ["x"], "count": 1}), "name", "a string"),
            (
                json!({"name": "x", "count": "1"}),
                "count",
                "a whole number from 0 to 4294967295",
            ),
            (
                json!({"name": "x", "count": 1.5}),
                "count",
                "a whole number from 0 to 4294967295",
            ),
            (
                json!({"name": "x", "count": -1}),
                "count",
                "a whole number from 0 to 4294967295",
            ),
            (
                json!({"name": "x", "count": 1, "blog_id": "seven"}),
                "blog_id",
                "a whole number",
            ),
            (
                json!({"name": "x", "count": 1, "blog_id": 1e30}),
                "blog_id",
                "a whole number",
            ),
            (
                json!({"name": "x", "count": 1, "ratio": "0.5"}),
                "ratio",
                "a number",
            ),
            (
                json!({"name": "x", "count": 1, "flag": 1}),
                "flag",
                "true or false",
            ),
        ] {
            assert_eq!(
                mistyped_field::<Sample>(&body),
                Some((field, words)),
                "{body}"
            );
        }
    }

    #[test]
    fn fields_of_the_right_type_and_nulls_pass() {
        let body = json!({"name": "x", "count": 3, "ratio": 1, "flag": null, "extra": 1});
        assert_eq!(mistyped_field::<Sample>(&body), None);
        assert_eq!(missing_required_field::<Sample>(&body), None);
        assert_eq!(
            missing_required_field::<Sample>(&json!({"count": 1})),
            Some("name")
        );
    }
}
