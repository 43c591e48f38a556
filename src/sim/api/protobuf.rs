//! Request bodies in the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`).
//! kubectl's typed clients send them for built-in kinds — `kubectl auth can-i` posts a
//! SelfSubjectAccessReview, `kubectl create namespace` a Namespace — and expect the API server
//! to understand them (answers may be JSON: they accept both). This decodes the `k8s\0`
//! envelope (`runtime.Unknown`) and the kinds the simulator takes this way into the JSON the
//! rest of the server works with; other kinds answer 415.

use crate::sim::error::ApiError;
use serde_json::{Map, Value, json};

/// Whether a Content-Type is the Kubernetes protobuf encoding.
pub fn is_protobuf(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim() == "application/vnd.kubernetes.protobuf")
}

enum Field<'a> {
    Varint,
    Bytes(&'a [u8]),
    Fixed,
}

fn invalid(what: &str) -> ApiError {
    ApiError::bad_request(format!("the protobuf body is not valid: {what}"))
}

fn varint(buf: &[u8], at: &mut usize) -> Result<u64, ApiError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*at).ok_or_else(|| invalid("truncated varint"))?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(invalid("varint too long"))
}

/// The fields of one message, in order.
fn fields(buf: &[u8]) -> Result<Vec<(u64, Field<'_>)>, ApiError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let key = varint(buf, &mut at)?;
        let (number, wire) = (key >> 3, key & 7);
        let field = match wire {
            0 => {
                varint(buf, &mut at)?;
                Field::Varint
            }
            1 | 5 => {
                at += if wire == 1 { 8 } else { 4 };
                if at > buf.len() {
                    return Err(invalid("truncated fixed-width field"));
                }
                Field::Fixed
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut at)?)
                    .map_err(|_| invalid("length too large"))?;
                let end = at
                    .checked_add(len)
                    .filter(|e| *e <= buf.len())
                    .ok_or_else(|| invalid("truncated length-delimited field"))?;
                let bytes = &buf[at..end];
                at = end;
                Field::Bytes(bytes)
            }
            other => return Err(invalid(&format!("unsupported wire type {other}"))),
        };
        out.push((number, field));
    }
    Ok(out)
}

fn text(bytes: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| invalid("a string is not UTF-8"))
}

/// The string fields of a message, by field number (last one wins, as in protobuf).
fn strings(buf: &[u8], names: &[(u64, &str)]) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (n, f) in fields(buf)? {
        if let (Some((_, name)), Field::Bytes(b)) = (names.iter().find(|(k, _)| *k == n), f) {
            let s = text(b)?;
            if !s.is_empty() {
                out.insert(name.to_string(), json!(s));
            }
        }
    }
    Ok(out)
}

/// A `map<string,string>` entry (key 1, value 2).
fn map_entry(buf: &[u8]) -> Result<(String, String), ApiError> {
    let mut key = String::new();
    let mut value = String::new();
    for (n, f) in fields(buf)? {
        match (n, f) {
            (1, Field::Bytes(b)) => key = text(b)?,
            (2, Field::Bytes(b)) => value = text(b)?,
            _ => {}
        }
    }
    Ok((key, value))
}

/// ObjectMeta: the fields a client sets on create.
fn object_meta(buf: &[u8]) -> Result<Value, ApiError> {
    let mut meta = strings(
        buf,
        &[
            (1, "name"),
            (2, "generateName"),
            (3, "namespace"),
            (6, "resourceVersion"),
        ],
    )?;
    let mut labels = Map::new();
    let mut annotations = Map::new();
    for (n, f) in fields(buf)? {
        if let Field::Bytes(b) = f {
            match n {
                11 => {
                    let (k, v) = map_entry(b)?;
                    labels.insert(k, json!(v));
                }
                12 => {
                    let (k, v) = map_entry(b)?;
                    annotations.insert(k, json!(v));
                }
                _ => {}
            }
        }
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    Ok(Value::Object(meta))
}

fn message<'a>(fields: &[(u64, Field<'a>)], number: u64) -> &'a [u8] {
    fields
        .iter()
        .rev()
        .find_map(|(n, f)| match f {
            Field::Bytes(b) if *n == number => Some(*b),
            _ => None,
        })
        .unwrap_or(&[])
}

fn self_subject_access_review(raw: &[u8]) -> Result<Value, ApiError> {
    let top = fields(raw)?;
    let spec = fields(message(&top, 2))?;
    let mut out_spec = Map::new();
    let resource = message(&spec, 1);
    if !resource.is_empty() {
        out_spec.insert(
            "resourceAttributes".into(),
            Value::Object(strings(
                resource,
                &[
                    (1, "namespace"),
                    (2, "verb"),
                    (3, "group"),
                    (4, "version"),
                    (5, "resource"),
                    (6, "subresource"),
                    (7, "name"),
                ],
            )?),
        );
    }
    let non_resource = message(&spec, 2);
    if !non_resource.is_empty() {
        out_spec.insert(
            "nonResourceAttributes".into(),
            Value::Object(strings(non_resource, &[(1, "path"), (2, "verb")])?),
        );
    }
    Ok(json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "metadata": object_meta(message(&top, 1))?,
        "spec": out_spec,
    }))
}

fn namespace(raw: &[u8]) -> Result<Value, ApiError> {
    let top = fields(raw)?;
    Ok(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": object_meta(message(&top, 1))?}))
}

/// Decodes a protobuf request body into the object's JSON.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or_else(|| invalid("it does not start with the k8s envelope"))?;
    let envelope = fields(rest)?;
    let type_meta = strings(message(&envelope, 1), &[(1, "apiVersion"), (2, "kind")])?;
    let raw = message(&envelope, 2);
    let api_version = type_meta
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = type_meta.get("kind").and_then(Value::as_str).unwrap_or("");
    match (api_version, kind) {
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => self_subject_access_review(raw),
        ("v1", "Namespace") => namespace(raw),
        _ => Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "kdeck sim decodes protobuf only for SelfSubjectAccessReview and Namespace, not {api_version} {kind}; send application/json"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len_field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((number << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_the_review_kubectl_auth_can_i_sends() {
        // Captured from `kubectl auth can-i patch inferenceservices -n ml-prod` (v1.33).
        let body: &[u8] =
            b"k8s\x00\x0a\x32\x0a\x17authorization.k8s.io/v1\x12\x17SelfSubjectAccessReview\
\x12\x5c\x0a\x10\x0a\x00\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\
\x12\x3e\x0a\x3c\x0a\x07ml-prod\x12\x05patch\x1a\x11serving.kserve.io\x22\x00\
\x2a\x11inferenceservices\x32\x00\x3a\x00\x1a\x08\x08\x00\x12\x00\x1a\x00\x20\x00\x1a\x00\x22\x00";
        let review = decode(body).unwrap();
        let attrs = &review["spec"]["resourceAttributes"];
        assert_eq!(attrs["namespace"], "ml-prod");
        assert_eq!(attrs["verb"], "patch");
        assert_eq!(attrs["group"], "serving.kserve.io");
        assert_eq!(attrs["resource"], "inferenceservices");
        assert!(attrs.get("name").is_none());
    }

    #[test]
    fn decodes_a_namespace_with_labels() {
        let label = [len_field(1, b"team"), len_field(2, b"ml")].concat();
        let meta = [len_field(1, b"scratch"), len_field(11, &label)].concat();
        let ns = len_field(1, &meta);
        let type_meta = [len_field(1, b"v1"), len_field(2, b"Namespace")].concat();
        let body = [
            b"k8s\0".to_vec(),
            len_field(1, &type_meta),
            len_field(2, &ns),
        ]
        .concat();
        let obj = decode(&body).unwrap();
        assert_eq!(obj["metadata"]["name"], "scratch");
        assert_eq!(obj["metadata"]["labels"]["team"], "ml");
    }

    #[test]
    fn rejects_garbage_and_other_kinds() {
        assert_eq!(decode(b"{}").unwrap_err().code, 400);
        assert_eq!(decode(b"k8s\0\x0a\xff").unwrap_err().code, 400);
        let type_meta = [len_field(1, b"v1"), len_field(2, b"Pod")].concat();
        let body = [b"k8s\0".to_vec(), len_field(1, &type_meta)].concat();
        assert_eq!(decode(&body).unwrap_err().code, 415);
    }
}
