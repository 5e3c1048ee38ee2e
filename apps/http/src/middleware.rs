//! Request ids, access logs without personal data, response counting and
//! security headers.

use std::{borrow::Cow, cell::Cell, time::Instant};

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS},
    middleware::Next,
    web,
};

use crate::state::AppState;

/// The id of a request, echoed in `x-request-id` and in every log line:
/// up to 64 ASCII letters, digits, `-` and `_`, kept inline so that
/// passing it along costs no allocation.
#[derive(Clone, Copy)]
pub struct RequestId {
    text: [u8; MAX_ID_LEN],
    len: u8,
}

const MAX_ID_LEN: usize = 64;

tokio::task_local! {
    /// The id of the request being served: the handler runs inside
    /// [`request_log`]'s call, in the same task, so it is found without a
    /// map kept on every request.
    static CURRENT: RequestId;
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
// Checked once, when compiled, rather than on every response.
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");

impl RequestId {
    /// The caller's own id, if it is safe to echo and log: 1 to 64 ASCII
    /// letters, digits, `-` or `_`.
    fn incoming(req: &ServiceRequest) -> Option<Self> {
        let raw = req.headers().get(&REQUEST_ID)?.as_bytes();
        let ok = !raw.is_empty()
            && raw.len() <= MAX_ID_LEN
            && raw.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
        ok.then(|| {
            let mut text = [0; MAX_ID_LEN];
            text[..raw.len()].copy_from_slice(raw);
            Self { text, len: raw.len() as u8 }
        })
    }

    /// A random prefix per thread and a counter: unique, cheap, and not a
    /// guessable sequence across restarts.
    fn made_up() -> Self {
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
        let mut text = [0; MAX_ID_LEN];
        let digits = u64::from(prefix) << 32 | u64::from(count);
        for (i, out) in text[..16].iter_mut().enumerate() {
            *out = b"0123456789abcdef"[(digits >> (60 - 4 * i) & 0xf) as usize];
        }
        Self { text, len: 16 }
    }

    /// The id of the request being served (none outside one).
    pub fn current() -> Self {
        CURRENT.try_with(|id| *id).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl Default for RequestId {
    /// No id: a request that did not pass through [`request_log`].
    fn default() -> Self {
        Self { text: [0; MAX_ID_LEN], len: 0 }
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestId({})", self.as_str())
    }
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
    let id = RequestId::incoming(&req).unwrap_or_else(RequestId::made_up);
    let started = Instant::now();
    let method = req.method().clone();
    // Finding the route pattern walks the routes again: only when logged.
    // The tenant API routes itself (see handlers::certificates), so its
    // addresses come from the API's document.
    let route: Cow<'static, str> = if tracing::enabled!(tracing::Level::INFO) {
        match req.match_pattern() {
            Some(pattern) => Cow::Owned(pattern),
            None => Cow::Borrowed(crate::known_routes::pattern_at(req.path()).unwrap_or("unmatched")),
        }
    } else {
        Cow::Borrowed("")
    };
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut res = CURRENT.scope(id, next.call(req)).await?;
    let status = res.status().as_u16();
    if let Some(state) = state {
        state.metrics.count_status(status);
    }
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        headers.insert(REQUEST_ID, value);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    headers.insert(REFERRER_POLICY, NO_REFERRER);
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    // Plain strings, not formatted values: each line is written for less.
    let (request_id, method, route) = (id.as_str(), method.as_str(), route.as_ref());
    if status >= 500 {
        tracing::error!(request_id, method, route, status, elapsed_ms, "request failed");
    } else {
        tracing::info!(request_id, method, route, status, elapsed_ms, "request");
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::RequestId;

    #[test]
    fn made_up_ids_are_sixteen_hex_digits_and_never_repeat_on_a_thread() {
        let (first, second) = (RequestId::made_up(), RequestId::made_up());
        for id in [first, second] {
            assert_eq!(id.as_str().len(), 16, "{id}");
            assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{id}");
        }
        assert_ne!(first.as_str(), second.as_str());
        assert_eq!(first.as_str()[..8], second.as_str()[..8], "one prefix per thread");
    }

    #[test]
    fn outside_a_request_there_is_no_id() {
        assert_eq!(RequestId::current().as_str(), "");
    }
}
