//! Building responses: JSON bodies, Status errors, streamed bodies.

use crate::sim::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use serde_json::Value;

/// A JSON answer.
pub fn json(code: u16, value: &Value) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    bytes(code, "application/json", body)
}

/// Raw bytes with a content type.
pub fn bytes(code: u16, content_type: &'static str, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A Status error answer.
pub fn error(e: &ApiError) -> Response<Body> {
    json(e.code, &e.status())
}

/// A streamed answer (watches, followed logs).
pub fn stream(content_type: &'static str, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    response
}

/// An answer that never arrives: the headers go out, then the connection breaks before the
/// body (the `lose-answer` fault; the request itself was carried out).
pub fn lost_answer() -> Response<Body> {
    let broken = futures::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "kdeck sim: answer lost (lose-answer fault)",
        ))
    });
    stream("application/json", Body::from_stream(broken))
}
