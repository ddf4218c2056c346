//! The validation pipe: JSON body → DTO → domain type, or a 400 naming the field.

use poem::{Request, RequestBody, Result};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaRequest, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use qblog_domain::validation::FieldError;

use serde_json::Value;

use crate::pipeline::filters::{ApiError, ErrorCode};

/// A request DTO that knows how to become its domain value.
pub trait Validate {
    /// The parsed, valid value the handler receives.
    type Output;

    /// Checks every field and converts.
    ///
    /// # Errors
    /// The first field that is wrong.
    fn validate(self) -> Result<Self::Output, FieldError>;
}

/// A JSON body that passed its [`Validate`] pipe; documented exactly like `Json<T>`.
#[derive(Debug)]
pub struct Valid<T: Validate>(pub T::Output);

impl<'a, T> ApiExtractor<'a> for Valid<T>
where
    T: Validate + ParseFromJSON + ToJSON,
    T::Output: Send,
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
        let dto = T::parse_from_json(Some(value))
            .map_err(|err| ApiError::new(ErrorCode::ValidationFailed, err.into_message()))?;
        dto.validate()
            .map(Valid)
            .map_err(|err| ApiError::from(err).into())
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
