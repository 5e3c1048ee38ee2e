//! Request ids, access logs without personal data, response counting and
//! security headers.

use std::{cell::Cell, time::Instant};

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};

use crate::state::AppState;

/// The id of a request, echoed in `x-request-id` and in every log line.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let raw = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let ok =
        !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| raw.to_owned())
}

/// A random prefix per thread and a counter: unique, cheap, and not a
/// guessable sequence across restarts.
fn new_id() -> String {
    // A random prefix and a counter for each thread: no counter shared
    // between cores to pass back and forth on every request.
    thread_local! {
        static NEXT: Cell<(u32, u32)> = Cell::new((random_u32(), 0));
    }
    let (prefix, count) = NEXT.with(|next| {
        let (prefix, count) = next.get();
        next.set((prefix, count.wrapping_add(1)));
        (prefix, count)
    });
    format!("{prefix:08x}{count:08x}")
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes)
}

/// Gives every request an id and logs one line per request. The log names
/// the route pattern (`/api/v1/t/{tenant}/certificates/{cert_no}`), never
/// the path or query, which can carry names and ID numbers.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = incoming_id(&req).unwrap_or_else(new_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let method = req.method().clone();
    // Finding the route pattern walks the routes again: only when logged.
    let route = if tracing::enabled!(tracing::Level::INFO) {
        req.match_pattern().unwrap_or_else(|| "unmatched".to_owned())
    } else {
        String::new()
    };
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut res = next.call(req).await?;
    let status = res.status().as_u16();
    if let Some(state) = state {
        state.metrics.count_status(status);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    let headers = res.headers_mut();
    headers.insert(HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff"));
    headers.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer"));
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(request_id = %id, %method, route, status, elapsed_ms, "request failed");
    } else {
        tracing::info!(request_id = %id, %method, route, status, elapsed_ms, "request");
    }
    Ok(res)
}
