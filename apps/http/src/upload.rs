//! Reading an uploaded file from a request: the raw body (API clients),
//! or the file field of a `multipart/form-data` form (browsers), within a
//! size limit.

use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

use crate::{
    error::{ApiError, ErrorKind},
    lang::Lang,
};

/// An uploaded file.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The body, refused with 413 past `limit` bytes.
pub async fn body_bytes(mut payload: web::Payload, limit: usize, lang: &Lang) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| lang.error(ErrorKind::BadRequest))?;
        if body.len() + chunk.len() > limit {
            return Err(lang.error(ErrorKind::PayloadTooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The uploaded file of a request: the file field of a form, or the whole
/// body, named by `?file_name=` (or `upload`).
pub async fn read_upload(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    lang: &Lang,
) -> Result<Upload, ApiError> {
    // A form's framing adds a little to the file it carries.
    let body = body_bytes(payload, limit + 64 * 1024, lang).await?;
    let content_type =
        req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Some(boundary) = boundary(content_type) {
        let form = parse_form(&body, &boundary).ok_or_else(|| lang.error(ErrorKind::BadRequest))?;
        return form.ok_or_else(|| lang.error(ErrorKind::MissingParameter("file")));
    }
    if body.len() > limit {
        return Err(lang.error(ErrorKind::PayloadTooLarge));
    }
    let params = crate::handlers::query_params(req, lang)?;
    let file_name = params.get("file_name").cloned().unwrap_or_else(|| "upload".to_owned());
    Ok(Upload { file_name, bytes: body })
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    if !parts.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// A parameter of a `Content-Disposition` header: `name="file"`.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case(key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The parts of a form: `None` when the framing is broken, `Some(None)`
/// when it holds no file.
fn parse_form(body: &[u8], boundary: &str) -> Option<Option<Upload>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0)? + delimiter.len();
    let mut file = None;
    // After each delimiter: `--` ends the form, CRLF starts a part.
    while body.get(at..at + 2) == Some(b"\r\n") {
        let head_end = find(body, b"\r\n\r\n", at + 2)?;
        let head = String::from_utf8_lossy(&body[at + 2..head_end]).into_owned();
        let content_start = head_end + 4;
        let mut next_delimiter = b"\r\n".to_vec();
        next_delimiter.extend_from_slice(&delimiter);
        let content_end = find(body, &next_delimiter, content_start)?;
        let content = &body[content_start..content_end];
        let disposition = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition")))
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default();
        if let Some(file_name) = disposition_param(&disposition, "filename").filter(|_| file.is_none()) {
            file = Some(Upload { file_name, bytes: content.to_vec() });
        }
        at = content_end + next_delimiter.len();
    }
    Some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_form_gives_its_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"lang\"\r\n\r\nen\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xe5\x91\x98\xe5\xb7\xa5.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--XyZ--\r\n";
        let upload = parse_form(body, "XyZ").unwrap().unwrap();
        assert_eq!(upload.file_name, "员工.csv");
        assert_eq!(upload.bytes, b"a,b\r\n1,2");
    }

    #[test]
    fn broken_framing_and_forms_without_files_are_told_apart() {
        assert!(parse_form(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", "XyZ").is_none());
        let no_file = parse_form(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--", "XyZ");
        assert!(matches!(no_file, Some(None)));
        assert_eq!(boundary("multipart/form-data; boundary=\"abc\""), Some("abc".to_owned()));
        assert_eq!(boundary("text/csv"), None);
    }
}
