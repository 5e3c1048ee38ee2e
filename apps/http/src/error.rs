//! The one mapping from what went wrong to an HTTP status, a stable code
//! and a localized message: `{"error":{"code":…,"message":…}}`.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;

/// Everything a request can fail with, as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidCertNo,
    InvalidName,
    MissingParameter(&'static str),
    UnknownTenant,
    CertificateNotFound,
    NotFound,
    RateLimited { retry_after: u64 },
    BadRequest,
    PayloadTooLarge,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidCertNo | Self::InvalidName | Self::MissingParameter(_) | Self::BadRequest => {
                StatusCode::BAD_REQUEST
            }
            Self::UnknownTenant | Self::CertificateNotFound | Self::NotFound => StatusCode::NOT_FOUND,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCertNo => "invalid_cert_no",
            Self::InvalidName => "invalid_name",
            Self::MissingParameter(_) => "missing_parameter",
            Self::UnknownTenant => "unknown_tenant",
            Self::CertificateNotFound => "certificate_not_found",
            Self::NotFound => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::BadRequest => "bad_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The Fluent message id of the localized text.
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::InvalidCertNo => "error-invalid-cert-no",
            Self::InvalidName => "error-invalid-name",
            Self::MissingParameter(_) => "error-missing-parameter",
            Self::UnknownTenant => "error-unknown-tenant",
            Self::CertificateNotFound => "error-certificate-not-found",
            Self::NotFound => "error-not-found",
            Self::RateLimited { .. } => "error-rate-limited",
            Self::BadRequest => "error-bad-request",
            Self::PayloadTooLarge => "error-payload-too-large",
            Self::Unavailable => "error-unavailable",
            Self::Internal => "error-internal",
        }
    }
}

/// An error ready to send: kind plus its message in the caller's language.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `invalid_cert_no`.
    pub code: &'static str,
    /// Human-readable message in the language chosen by `Accept-Language`.
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.code())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let ErrorKind::RateLimited { retry_after } = self.kind {
            response.insert_header(("Retry-After", retry_after.to_string()));
        }
        response.json(ErrorBody { error: ErrorDetail { code: self.kind.code(), message: self.message.clone() } })
    }
}
