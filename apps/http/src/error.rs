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
    /// A known address asked with a method it does not take.
    MethodNotAllowed,
    RateLimited {
        retry_after: u64,
    },
    BadRequest,
    PayloadTooLarge,
    /// The request body is not the JSON the operation expects.
    InvalidBody,
    /// No or a wrong administrator token.
    Unauthorized,
    /// The administration API is turned off (no token configured).
    AdminDisabled,
    /// An uploaded rules version fails its checks; details say where.
    RulesRejected,
    UnknownRulesVersion,
    /// The version is already active, or another change came first.
    RulesConflict,
    /// Not signed in, or the session ended.
    Unauthenticated,
    /// Signed in, but the policy does not allow it.
    Forbidden,
    /// A second-factor code that is wrong, expired or used.
    InvalidCode,
    TooManyCodes,
    /// A field of the request is malformed; details name it and why.
    InvalidInput,
    WeakPassword,
    SecondFactorUnavailable,
    AlreadyRegistered,
    UnknownDepartment,
    UnknownGrant,
    UnknownRequest,
    AlreadyDecided,
    GrantExceedsGranter,
    /// No API client of the caller's with that id.
    UnknownClient,
    /// An API key used after its rotation window.
    KeyRetired,
    KeyExpired,
    KeyRevoked,
    /// No training institution's application with that id.
    UnknownApplication,
    /// The account already has a saved search of that name.
    NameTaken,
    /// No such saved search or favorite of the account's.
    NotSaved,
    /// An uploaded file without rows.
    SheetEmpty,
    /// An upload that is neither .xlsx nor .csv.
    NotASpreadsheet,
    /// A password-protected workbook, or one that cannot be opened.
    SheetProtected,
    SheetDamaged,
    /// More rows than a batch holds.
    TooManyRows,
    /// CSV text neither UTF-8 nor GBK.
    SheetEncoding,
    /// A column mapping naming columns the sheet lacks, or one twice.
    ColumnMapping,
    /// No batch verification of the caller's with that id.
    UnknownBatch,
    /// The report of a batch verification still running.
    BatchNotReady,
    /// A column mapping for a batch verification that has its columns.
    BatchNotWaiting,
    /// A file to check that is not a PDF.
    NotAPdf,
    /// More certificates than one report holds.
    ReportTooMany,
    /// PDFs cannot be made (no CJK font installed).
    PdfUnavailable,
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
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidBody => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::AdminDisabled => StatusCode::FORBIDDEN,
            Self::RulesRejected => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnknownRulesVersion => StatusCode::NOT_FOUND,
            Self::RulesConflict => StatusCode::CONFLICT,
            Self::Unauthenticated | Self::InvalidCode => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::TooManyCodes => StatusCode::TOO_MANY_REQUESTS,
            Self::InvalidInput | Self::WeakPassword | Self::SecondFactorUnavailable => StatusCode::UNPROCESSABLE_ENTITY,
            Self::AlreadyRegistered => StatusCode::CONFLICT,
            Self::UnknownDepartment | Self::UnknownGrant | Self::UnknownRequest => StatusCode::NOT_FOUND,
            Self::AlreadyDecided => StatusCode::CONFLICT,
            Self::GrantExceedsGranter => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnknownClient | Self::UnknownApplication | Self::NotSaved => StatusCode::NOT_FOUND,
            Self::NameTaken => StatusCode::CONFLICT,
            Self::KeyRetired | Self::KeyExpired | Self::KeyRevoked => StatusCode::UNAUTHORIZED,
            Self::SheetEmpty => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotASpreadsheet => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::SheetProtected => StatusCode::UNPROCESSABLE_ENTITY,
            Self::SheetDamaged => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRows => StatusCode::PAYLOAD_TOO_LARGE,
            Self::SheetEncoding => StatusCode::UNPROCESSABLE_ENTITY,
            Self::ColumnMapping => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnknownBatch => StatusCode::NOT_FOUND,
            Self::BatchNotReady => StatusCode::CONFLICT,
            Self::BatchNotWaiting => StatusCode::CONFLICT,
            Self::NotAPdf => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::ReportTooMany => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PdfUnavailable => StatusCode::SERVICE_UNAVAILABLE,
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
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RateLimited { .. } => "rate_limited",
            Self::BadRequest => "bad_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::InvalidBody => "invalid_body",
            Self::Unauthorized => "unauthorized",
            Self::AdminDisabled => "admin_disabled",
            Self::RulesRejected => "rules_rejected",
            Self::UnknownRulesVersion => "unknown_rules_version",
            Self::RulesConflict => "rules_conflict",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::InvalidCode => "invalid_code",
            Self::TooManyCodes => "too_many_codes",
            Self::InvalidInput => "invalid_input",
            Self::WeakPassword => "weak_password",
            Self::SecondFactorUnavailable => "second_factor_unavailable",
            Self::AlreadyRegistered => "already_registered",
            Self::UnknownDepartment => "unknown_department",
            Self::UnknownGrant => "unknown_grant",
            Self::UnknownRequest => "unknown_request",
            Self::AlreadyDecided => "already_decided",
            Self::GrantExceedsGranter => "grant_exceeds_granter",
            Self::UnknownClient => "unknown_client",
            Self::KeyRetired => "key_retired",
            Self::KeyExpired => "key_expired",
            Self::KeyRevoked => "key_revoked",
            Self::UnknownApplication => "unknown_application",
            Self::NameTaken => "name_taken",
            Self::NotSaved => "not_saved",
            Self::SheetEmpty => "sheet_empty",
            Self::NotASpreadsheet => "not_a_spreadsheet",
            Self::SheetProtected => "sheet_protected",
            Self::SheetDamaged => "sheet_damaged",
            Self::TooManyRows => "too_many_rows",
            Self::SheetEncoding => "sheet_encoding",
            Self::ColumnMapping => "column_mapping",
            Self::UnknownBatch => "unknown_batch",
            Self::BatchNotReady => "batch_not_ready",
            Self::BatchNotWaiting => "batch_not_waiting",
            Self::NotAPdf => "not_a_pdf",
            Self::ReportTooMany => "report_too_many",
            Self::PdfUnavailable => "pdf_unavailable",
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
            Self::MethodNotAllowed => "error-method-not-allowed",
            Self::RateLimited { .. } => "error-rate-limited",
            Self::BadRequest => "error-bad-request",
            Self::PayloadTooLarge => "error-payload-too-large",
            Self::InvalidBody => "error-invalid-body",
            Self::Unauthorized => "error-unauthorized",
            Self::AdminDisabled => "error-admin-disabled",
            Self::RulesRejected => "error-rules-rejected",
            Self::UnknownRulesVersion => "error-unknown-rules-version",
            Self::RulesConflict => "error-rules-conflict",
            Self::Unauthenticated => "error-unauthenticated",
            Self::Forbidden => "error-forbidden",
            Self::InvalidCode => "error-invalid-code",
            Self::TooManyCodes => "error-too-many-codes",
            Self::InvalidInput => "error-invalid-input",
            Self::WeakPassword => "error-weak-password",
            Self::SecondFactorUnavailable => "error-second-factor-unavailable",
            Self::AlreadyRegistered => "error-already-registered",
            Self::UnknownDepartment => "error-unknown-department",
            Self::UnknownGrant => "error-unknown-grant",
            Self::UnknownRequest => "error-unknown-request",
            Self::AlreadyDecided => "error-already-decided",
            Self::GrantExceedsGranter => "error-grant-exceeds-granter",
            Self::UnknownClient => "error-unknown-client",
            Self::KeyRetired => "error-key-retired",
            Self::KeyExpired => "error-key-expired",
            Self::KeyRevoked => "error-key-revoked",
            Self::UnknownApplication => "error-unknown-application",
            Self::NameTaken => "error-name-taken",
            Self::NotSaved => "error-not-saved",
            Self::SheetEmpty => "error-sheet-empty",
            Self::NotASpreadsheet => "error-not-a-spreadsheet",
            Self::SheetProtected => "error-sheet-protected",
            Self::SheetDamaged => "error-sheet-damaged",
            Self::TooManyRows => "error-too-many-rows",
            Self::SheetEncoding => "error-sheet-encoding",
            Self::ColumnMapping => "error-column-mapping",
            Self::UnknownBatch => "error-unknown-batch",
            Self::BatchNotReady => "error-batch-not-ready",
            Self::BatchNotWaiting => "error-batch-not-waiting",
            Self::NotAPdf => "error-not-a-pdf",
            Self::ReportTooMany => "error-report-too-many",
            Self::PdfUnavailable => "error-pdf-unavailable",
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
    /// Structured detail for errors that need it (what failed and where).
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn with_details(mut self, details: impl Serialize) -> Self {
        self.details = serde_json::to_value(details).ok();
        self
    }
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
    /// Present on some errors, e.g. `rules_rejected`: the checks that
    /// failed, with file, line and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
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
        if matches!(self.kind, ErrorKind::Unauthorized | ErrorKind::Unauthenticated) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(ErrorBody {
            error: ErrorDetail { code: self.kind.code(), message: self.message.clone(), details: self.details.clone() },
        })
    }
}
