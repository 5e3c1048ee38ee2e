//! The caller's language: `?lang=` if given, else `Accept-Language`, else
//! zh-CN. Also builds localized errors, since every error needs it.

use std::future::Ready;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use safecert_domain::Locale;
use safecert_i18n::FluentValue;

use crate::{
    error::{ApiError, ErrorKind},
    middleware::RequestId,
    state::AppState,
};

/// The negotiated language of a request, with the means to localize.
pub struct Lang {
    pub locale: Locale,
    state: web::Data<AppState>,
    request_id: RequestId,
}

pub fn negotiate(req: &HttpRequest, state: &AppState) -> Locale {
    let query_lang = req
        .query_string()
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .and_then(crate::handlers::decode_component)
        .and_then(|tag| Locale::parse(&tag));
    query_lang.unwrap_or_else(|| {
        let header = req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        state.platform.localizer.negotiate(header)
    })
}

impl Lang {
    pub fn from_parts(req: &HttpRequest, state: web::Data<AppState>) -> Self {
        let locale = negotiate(req, &state);
        let request_id = RequestId::current();
        Self { locale, state, request_id }
    }

    pub fn text(&self, id: &str) -> String {
        self.state.platform.localizer.message(self.locale, id, &[])
    }

    /// A message with arguments.
    pub fn text_with(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        self.state.platform.localizer.message(self.locale, id, args)
    }

    pub fn error(&self, kind: ErrorKind) -> ApiError {
        let args: Vec<(&str, FluentValue)> = match &kind {
            ErrorKind::MissingParameter(name) => vec![("name", (*name).into())],
            ErrorKind::RateLimited { retry_after } => vec![("seconds", (*retry_after).into())],
            ErrorKind::Internal => vec![("request_id", self.request_id.as_str().to_owned().into())],
            _ => vec![],
        };
        let message = self.state.platform.localizer.message(self.locale, kind.message_id(), &args);
        ApiError { kind, message, details: None }
    }

    pub fn app(&self) -> &AppState {
        &self.state
    }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .map(|state| Lang::from_parts(req, state))
            .ok_or_else(|| actix_web::error::ErrorInternalServerError("application state missing"));
        std::future::ready(result)
    }
}
