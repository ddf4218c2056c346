//! The validation pipe: JSON body → DTO → domain type, or a 400 naming the field.
//!
//! A DTO whose fields are sanitised (`Validate::SANITISES`) is converted on Tokio's
//! blocking pool, at most [`sanitising_permits`] at a time, with the permit owned by
//! the blocking job: a client that disconnects cannot free the slot while its job
//! still runs, and the async workers keep serving every other request meanwhile.

use std::sync::{Arc, LazyLock};

use poem::{Request, RequestBody, Result};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaRequest, Registry};
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
    let dto = T::parse_from_json(Some(value))
        .map_err(|err| ApiError::new(ErrorCode::ValidationFailed, err.into_message()))?;
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
        if let Some(field) = missing_required_field::<T>(&value) {
            return Err(ApiError::validation(field, "is required").into());
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

/// The first field `T`'s schema requires that `value` lacks (or holds `null`).
fn missing_required_field<T: ParseFromJSON>(value: &Value) -> Option<&'static str> {
    let mut registry = Registry::new();
    T::register(&mut registry);
    let schema = registry.schemas.get(T::name().as_ref())?;
    schema
        .required
        .iter()
        .copied()
        .find(|field| value.get(field).is_none_or(Value::is_null))
}
