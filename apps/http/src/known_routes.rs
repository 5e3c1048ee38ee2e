//! The API's addresses and the methods each takes, read from the OpenAPI
//! document: a request for a known address with a method it does not
//! take is answered 405 with `Allow`, not 404, and the request log names
//! the address a path is one of where no route pattern of actix's does.

use std::{cmp::Reverse, sync::LazyLock};

use actix_web::http::Method;
use utoipa::OpenApi;

use crate::ApiDoc;

/// One address of the document, `/api/v1/t/{tenant}/rules` say.
struct Route {
    /// As the document writes it.
    path: String,
    /// Its segments; `None` stands for a parameter, any one segment.
    segments: Vec<Option<String>>,
    /// How many of them are not parameters.
    literals: usize,
    methods: Vec<Method>,
}

impl Route {
    /// Whether the segments `asked` are this address. Compared from the
    /// end, where addresses differ: most start `/api/v1/t/{tenant}`.
    fn matches(&self, asked: &[&[u8]]) -> bool {
        self.segments.len() == asked.len()
            && self.segments.iter().zip(asked).rev().all(|(segment, asked)| match segment {
                Some(literal) => literal.as_bytes() == *asked,
                None => !asked.is_empty(),
            })
    }
}

/// More segments than any address of the document has.
const MAX_SEGMENTS: usize = 16;

/// The document's addresses, by how many segments each has: a path is
/// compared only with the addresses of its own length. Within a length,
/// those with the most literal segments come first (`rules/dry-run` is
/// its own address, not the version `dry-run`), otherwise in the
/// document's order.
static ROUTES: LazyLock<Vec<Vec<Route>>> = LazyLock::new(|| {
    let doc = ApiDoc::openapi();
    let mut by_length: Vec<Vec<Route>> = Vec::new();
    for (path, item) in &doc.paths.paths {
        let segments: Vec<Option<String>> =
            path.split('/').map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned())).collect();
        let literals = segments.iter().filter(|s| s.is_some()).count();
        let operations = [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::DELETE, item.delete.is_some()),
            (Method::PATCH, item.patch.is_some()),
        ];
        let methods = operations.into_iter().filter_map(|(m, has)| has.then_some(m)).collect();
        let length = segments.len();
        if by_length.len() <= length {
            by_length.resize_with(length + 1, Vec::new);
        }
        by_length[length].push(Route { path: path.clone(), segments, literals, methods });
    }
    for routes in &mut by_length {
        routes.sort_by_key(|route| Reverse(route.literals));
    }
    by_length
});

/// The addresses of the document `path` is, those with the most literal
/// segments first. Nothing is allocated: the request log asks this for
/// every request.
fn matching(path: &str) -> impl Iterator<Item = &'static Route> {
    let mut asked: [&[u8]; MAX_SEGMENTS] = [&[]; MAX_SEGMENTS];
    let mut count = 0;
    // Split as bytes: a plain loop, where `str::split` sets up a search
    // for every segment.
    for segment in path.as_bytes().split(|b| *b == b'/') {
        let Some(slot) = asked.get_mut(count) else {
            // A path this long is none of the addresses; no address has
            // no segments, so it is compared with none.
            count = 0;
            break;
        };
        *slot = segment;
        count += 1;
    }
    let same_length = ROUTES.get(count).map(Vec::as_slice).unwrap_or_default();
    same_length.iter().filter(move |route| route.matches(&asked[..count]))
}

/// Of the addresses `path` is, the ones with the most literal segments.
fn routes_at(path: &str) -> impl Iterator<Item = &'static Route> {
    let mut found = matching(path).peekable();
    let most = found.peek().map(|route| route.literals);
    found.take_while(move |route| Some(route.literals) == most)
}

/// The methods the API takes at `path` (`GET, POST`), if it is one of its
/// addresses; `None` for an address it does not have.
pub fn allowed_at(path: &str) -> Option<String> {
    let mut allowed: Vec<&Method> = routes_at(path).flat_map(|route| &route.methods).collect();
    if allowed.is_empty() {
        return None;
    }
    allowed.sort_by_key(|m| m.as_str());
    allowed.dedup();
    Some(allowed.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "))
}

/// The address `path` is one of, as the document writes it
/// (`/api/v1/t/{tenant}/certificates/{cert_no}`): never the path itself,
/// which can carry names and numbers.
pub fn pattern_at(path: &str) -> Option<&'static str> {
    matching(path).next().map(|route| route.path.as_str())
}

#[cfg(test)]
mod tests {
    use super::{allowed_at, pattern_at};

    #[test]
    fn a_known_address_lists_the_methods_it_takes() {
        assert_eq!(allowed_at("/api/v1/verify").as_deref(), Some("GET"));
        assert_eq!(allowed_at("/api/v1/t/gd/rules").as_deref(), Some("GET, POST"));
        assert_eq!(allowed_at("/api/v1/t/gd/certificates/GD20260000003").as_deref(), Some("GET"));
        assert_eq!(allowed_at("/api/v1/t/gd/rules/dry-run").as_deref(), Some("POST"), "not the version dry-run");
        assert_eq!(allowed_at("/api/v1/t/gd/rules/v2").as_deref(), Some("GET"));
    }

    #[test]
    fn an_unknown_address_or_an_empty_parameter_is_not_one() {
        assert_eq!(allowed_at("/api/v1/nothing"), None);
        assert_eq!(allowed_at("/api/v1/t//certificates/GD1"), None);
        assert_eq!(allowed_at("/api/v1/verify/more"), None);
    }

    #[test]
    fn a_path_of_more_segments_than_any_address_is_none() {
        assert!(super::ROUTES.len() <= super::MAX_SEGMENTS);
        let long = format!("/api/v1/t/gd/certificates/GD1{}", "/x".repeat(super::MAX_SEGMENTS));
        assert_eq!(pattern_at(&long), None);
        assert_eq!(allowed_at(&long), None);
    }

    #[test]
    fn a_path_is_named_by_its_address_never_by_what_it_carries() {
        let lookup = pattern_at("/api/v1/t/gd/certificates/GD20260000003");
        assert_eq!(lookup, Some("/api/v1/t/{tenant}/certificates/{cert_no}"));
        assert_eq!(pattern_at("/api/v1/t/gd/certificates"), Some("/api/v1/t/{tenant}/certificates"));
        assert_eq!(pattern_at("/api/v1/t/gd/rules/dry-run"), Some("/api/v1/t/{tenant}/rules/dry-run"));
        assert_eq!(pattern_at("/api/v1/t/gd/rules/v2"), Some("/api/v1/t/{tenant}/rules/{version}"));
        assert_eq!(pattern_at("/api/v1/t//certificates/GD1"), None);
    }
}
