//! Inference payloads built from a model's V2 metadata (each input tensor with its declared
//! datatype, `-1` dimensions read as 1, filled with zeros), in the shapes of the V2 REST
//! body, the V1 `instances` body and the gRPC `ModelInferRequest` inputs; and a user's V2
//! JSON payload file read back into tensors for gRPC.

use serde_json::{Value, json};

/// One input tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub datatype: String,
    pub shape: Vec<i64>,
    /// Flattened row-major values.
    pub data: Vec<Value>,
}

/// Why no request body could be built from a model's metadata, or read from the user's
/// payload: worded for the user, with `--payload FILE` as the way out where it is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the model's metadata lists no inputs; give a request body with --payload FILE")]
    NoInputs,
    #[error(
        "input `{name}` has {elements} elements (shape {shape:?}); give a smaller body with \
         --payload FILE"
    )]
    TooLarge {
        name: String,
        elements: i64,
        shape: Vec<i64>,
    },
    #[error(
        "input `{name}` has datatype `{datatype}`, which kdeck cannot fill; give a body with \
         --payload FILE"
    )]
    UnknownDatatype { name: String, datatype: String },
    #[error("the payload has no `inputs` list (a V2 request body is needed for gRPC)")]
    NoInputsList,
    #[error("payload input {index} has no `{field}`")]
    MissingField { index: usize, field: &'static str },
}

/// The tensor metadata of `GET /v2/models/NAME` (`inputs`). Dimensions `-1` (variable) are 1.
pub fn inputs_from_metadata(metadata: &Value) -> Result<Vec<Tensor>, PayloadError> {
    let inputs = metadata
        .get("inputs")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or(PayloadError::NoInputs)?;
    inputs
        .iter()
        .map(|i| {
            let name = i.get("name").and_then(Value::as_str).unwrap_or("input-0");
            let datatype = i.get("datatype").and_then(Value::as_str).unwrap_or("FP32");
            let shape: Vec<i64> = i
                .get("shape")
                .and_then(Value::as_array)
                .map(|s| s.iter().map(|d| d.as_i64().unwrap_or(1)).collect())
                .unwrap_or_else(|| vec![1]);
            tensor(name, datatype, &shape)
        })
        .collect()
}

/// A tensor of zeros (false, "") of `datatype` and `shape` (`-1` → 1).
pub fn tensor(name: &str, datatype: &str, shape: &[i64]) -> Result<Tensor, PayloadError> {
    let shape: Vec<i64> = shape.iter().map(|&d| if d < 0 { 1 } else { d }).collect();
    let n: i64 = shape.iter().product();
    if !(0..=1_000_000).contains(&n) {
        return Err(PayloadError::TooLarge {
            name: name.to_string(),
            elements: n,
            shape,
        });
    }
    let zero = match datatype {
        "BOOL" => json!(false),
        "BYTES" => json!(""),
        "FP16" | "FP32" | "FP64" | "BF16" => json!(0.0),
        "INT8" | "INT16" | "INT32" | "INT64" | "UINT8" | "UINT16" | "UINT32" | "UINT64" => json!(0),
        other => {
            return Err(PayloadError::UnknownDatatype {
                name: name.to_string(),
                datatype: other.to_string(),
            });
        }
    };
    Ok(Tensor {
        name: name.to_string(),
        datatype: datatype.to_string(),
        shape,
        data: vec![zero; usize::try_from(n).unwrap_or(0)],
    })
}

/// The V2 REST request body.
pub fn v2_body(inputs: &[Tensor]) -> Value {
    json!({"inputs": inputs.iter().map(|t| json!({
        "name": t.name, "shape": t.shape, "datatype": t.datatype, "data": t.data,
    })).collect::<Vec<_>>()})
}

/// The V1 body: the first input's rows as `instances` (a row is the tensor without its
/// first dimension); without metadata, one sample row of four numbers.
pub fn v1_body(inputs: Option<&[Tensor]>) -> Value {
    let Some(first) = inputs.and_then(|i| i.first()) else {
        return json!({"instances": [[1.0, 2.0, 3.0, 4.0]]});
    };
    let rows = first.shape.first().copied().unwrap_or(1).max(1) as usize;
    let width = (first.data.len() / rows).max(1);
    let instances: Vec<Value> = first
        .data
        .chunks(width)
        .map(|c| Value::Array(c.to_vec()))
        .collect();
    json!({ "instances": instances })
}

/// Reads a V2 REST body (`{"inputs": [{name, shape, datatype, data}]}`) into tensors, for
/// sending it over gRPC. Nested `data` arrays are flattened.
pub fn tensors_from_v2_body(body: &Value) -> Result<Vec<Tensor>, PayloadError> {
    let inputs = body
        .get("inputs")
        .and_then(Value::as_array)
        .ok_or(PayloadError::NoInputsList)?;
    inputs
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let field = |field: &'static str| {
                t.get(field)
                    .ok_or(PayloadError::MissingField { index, field })
            };
            let name = field("name")?.as_str().unwrap_or_default().to_string();
            let datatype = field("datatype")?.as_str().unwrap_or("FP32").to_string();
            let shape = field("shape")?
                .as_array()
                .map(|s| s.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            let mut data = Vec::new();
            flatten(field("data")?, &mut data);
            Ok(Tensor {
                name,
                datatype,
                shape,
                data,
            })
        })
        .collect()
}

fn flatten(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_becomes_zero_tensors_with_variable_dims_as_one() {
        let meta = json!({"name": "m", "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]},
                                                    {"name": "flag", "datatype": "BOOL", "shape": [1]}]});
        let t = inputs_from_metadata(&meta).unwrap();
        assert_eq!(t[0].shape, vec![1, 4]);
        assert_eq!(t[0].data.len(), 4);
        assert_eq!(t[1].data, vec![json!(false)]);
        let body = v2_body(&t);
        assert_eq!(body["inputs"][0]["shape"], json!([1, 4]));
        assert_eq!(
            v1_body(Some(&t)),
            json!({"instances": [[0.0, 0.0, 0.0, 0.0]]})
        );
        assert_eq!(
            v1_body(None)["instances"][0].as_array().map(Vec::len),
            Some(4)
        );
    }

    #[test]
    fn unusable_metadata_is_explained() {
        assert_eq!(
            inputs_from_metadata(&json!({"inputs": []})).unwrap_err(),
            PayloadError::NoInputs
        );
        assert_eq!(
            tensor("x", "COMPLEX", &[1]).unwrap_err(),
            PayloadError::UnknownDatatype {
                name: "x".into(),
                datatype: "COMPLEX".into()
            }
        );
        assert!(matches!(
            tensor("x", "FP32", &[100_000, 100_000]),
            Err(PayloadError::TooLarge {
                elements: 10_000_000_000,
                ..
            })
        ));
    }

    #[test]
    fn payload_errors_read_as_the_users_message() {
        let too_large = tensor("x", "FP32", &[-1, 100_000, 100_000]).unwrap_err();
        assert_eq!(
            too_large.to_string(),
            "input `x` has 10000000000 elements (shape [1, 100000, 100000]); give a smaller \
             body with --payload FILE"
        );
        assert_eq!(
            PayloadError::NoInputs.to_string(),
            "the model's metadata lists no inputs; give a request body with --payload FILE"
        );
        assert_eq!(
            tensor("x", "COMPLEX", &[1]).unwrap_err().to_string(),
            "input `x` has datatype `COMPLEX`, which kdeck cannot fill; give a body with \
             --payload FILE"
        );
        assert_eq!(
            tensors_from_v2_body(&json!({})).unwrap_err().to_string(),
            "the payload has no `inputs` list (a V2 request body is needed for gRPC)"
        );
        let no_data = json!({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]});
        assert_eq!(
            tensors_from_v2_body(&no_data).unwrap_err().to_string(),
            "payload input 0 has no `data`"
        );
    }

    #[test]
    fn a_v2_body_reads_back_flattened() {
        let body = json!({"inputs": [{"name": "x", "shape": [2, 2], "datatype": "INT64", "data": [[1, 2], [3, 4]]}]});
        let t = tensors_from_v2_body(&body).unwrap();
        assert_eq!(t[0].data, vec![json!(1), json!(2), json!(3), json!(4)]);
        assert!(tensors_from_v2_body(&json!({})).is_err());
    }
}
