//! Probes over gRPC (`inference.GRPCInferenceService`): ServerLive, ServerReady, ModelReady
//! and ModelMetadata, then timed ModelInfer calls with tensors built from the metadata (or
//! from a V2 JSON payload file). A non-OK status is counted by its code.

use super::oip::{InferInputTensor, InferTensorContents, InferenceClient, ModelInferRequest};
use super::{ProbeSpec, ms_since, timed};
use crate::domain::probe::payload::{PayloadError, Tensor, tensor, tensors_from_v2_body};
use crate::domain::probe::stats::Check;
use crate::domain::probe::{ErrorKind, ProbeError, ProbeReport};
use serde_json::Value;
use std::time::{Duration, Instant};
use tonic::Code;

/// Why a gRPC probe could not start, worded for the user (the report's setup error).
#[derive(Debug, thiserror::Error)]
pub enum GrpcSetupError {
    #[error("`{target}` is not a gRPC target ({source}); give HOST:PORT")]
    NotATarget {
        target: String,
        source: tonic::transport::Error,
    },
    #[error("cannot reach the gRPC server at {target}: {}", connect_failure(.source))]
    Unreachable {
        target: String,
        source: tonic::transport::Error,
    },
    #[error("no gRPC connection to {target} within {timeout:?}")]
    ConnectTimeout { target: String, timeout: Duration },
    #[error("model `{model}` is not served at {target} (gRPC NOT_FOUND); check --model")]
    ModelNotServed { model: String, target: String },
    #[error("cannot build an inference request: {0}")]
    Request(#[from] RequestError),
}

/// Why no ModelInfer request could be built (also the model metadata check's detail).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("ModelMetadata failed: {}", status_text(.0))]
    Metadata(#[source] Box<tonic::Status>),
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error(
        "input `{name}` has datatype `{datatype}`, which needs raw contents; kdeck sends typed \
         contents only"
    )]
    RawContents { name: String, datatype: String },
}

/// A failed connection in words: refused (nothing listens), or the error's chain.
fn connect_failure(e: &tonic::transport::Error) -> String {
    if super::rest::refused(e) {
        "connection refused (nothing listens there: is the server running, is the gRPC port \
         right?)"
            .to_string()
    } else {
        format!("cannot connect ({})", super::rest::chain(e))
    }
}

/// `host:port`, `http://host:port` or `grpc://host:port` → an `http://` URI for tonic.
pub fn endpoint_uri(target: &str) -> String {
    let rest = target
        .strip_prefix("grpc://")
        .or_else(|| target.strip_prefix("http://"))
        .unwrap_or(target);
    format!("http://{}", rest.trim_end_matches('/'))
}

/// Runs a gRPC probe.
pub async fn run(spec: &ProbeSpec) -> ProbeReport {
    let uri = endpoint_uri(&spec.target);
    let endpoint = match tonic::transport::Endpoint::from_shared(uri.clone()) {
        Ok(e) => e.connect_timeout(spec.timeout).timeout(spec.timeout),
        Err(source) => {
            let target = spec.target.clone();
            return failed(Vec::new(), GrpcSetupError::NotATarget { target, source });
        }
    };
    let t = Instant::now();
    let channel = match tokio::time::timeout(spec.timeout, endpoint.connect()).await {
        Ok(Ok(c)) => c,
        Ok(Err(source)) => {
            let check = Check {
                name: "connect".into(),
                ok: false,
                detail: connect_failure(&source),
                ms: ms_since(t),
            };
            let target = spec.target.clone();
            return failed(vec![check], GrpcSetupError::Unreachable { target, source });
        }
        Err(_) => {
            let (target, timeout) = (spec.target.clone(), spec.timeout);
            return failed(
                Vec::new(),
                GrpcSetupError::ConnectTimeout { target, timeout },
            );
        }
    };
    let mut client = InferenceClient::new(channel);
    let mut checks = Vec::new();
    let model = spec.model.clone();
    let t = Instant::now();
    let live = client.server_live().await.map(|r| r.live);
    checks.push(check("server live", live, t));
    let t = Instant::now();
    let ready = client.server_ready().await.map(|r| r.ready);
    checks.push(check("server ready", ready, t));
    let t = Instant::now();
    let model_ready = client.model_ready(&model).await;
    let model_missing = matches!(&model_ready, Err(s) if s.code() == Code::NotFound);
    checks.push(check("model ready", model_ready.map(|r| r.ready), t));
    if model_missing {
        let target = spec.target.clone();
        return failed(checks, GrpcSetupError::ModelNotServed { model, target });
    }
    let tensors: Result<Vec<Tensor>, RequestError> = match &spec.payload {
        Some(body) => tensors_from_v2_body(body).map_err(RequestError::from),
        None => {
            let t = Instant::now();
            let meta = client.model_metadata(&model).await;
            let tensors = meta
                .map_err(|s| RequestError::Metadata(Box::new(s)))
                .and_then(|m| {
                    if m.inputs.is_empty() {
                        return Err(PayloadError::NoInputs.into());
                    }
                    let tensors = m
                        .inputs
                        .iter()
                        .map(|i| tensor(&i.name, &i.datatype, &i.shape));
                    Ok(tensors.collect::<Result<Vec<_>, _>>()?)
                });
            checks.push(Check {
                name: "model metadata".into(),
                ok: tensors.is_ok(),
                detail: tensors
                    .as_ref()
                    .map(|t| format!("{} input(s)", t.len()))
                    .unwrap_or_else(|e| e.to_string()),
                ms: ms_since(t),
            });
            tensors
        }
    };
    let request = match tensors.and_then(|t| infer_request(&model, &t)) {
        Ok(r) => r,
        Err(e) => return failed(checks, e.into()),
    };
    let timeout = spec.timeout;
    let mut report = timed(spec.count, spec.concurrency, || {
        let mut client = client.clone();
        let request = request.clone();
        async move {
            let t = Instant::now();
            match tokio::time::timeout(timeout, client.model_infer(request)).await {
                Ok(Ok(_)) => Ok(t.elapsed()),
                Ok(Err(s)) => Err(status_error(&s)),
                Err(_) => Err(ProbeError::new(ErrorKind::Timeout, "ModelInfer: no answer within the timeout (raise --timeout, or the server is overloaded)")),
            }
        }
    })
    .await;
    report.checks = checks;
    report
}

fn failed(checks: Vec<Check>, why: GrpcSetupError) -> ProbeReport {
    ProbeReport {
        checks,
        setup_error: Some(why.to_string()),
        ..ProbeReport::default()
    }
}

fn check(name: &str, result: Result<bool, tonic::Status>, t: Instant) -> Check {
    let ms = ms_since(t);
    match result {
        Ok(true) => Check {
            name: name.into(),
            ok: true,
            detail: "ok".into(),
            ms,
        },
        Ok(false) => Check {
            name: name.into(),
            ok: false,
            detail: "answered false".into(),
            ms,
        },
        Err(s) => Check {
            name: name.into(),
            ok: false,
            detail: status_text(&s),
            ms,
        },
    }
}

fn status_text(s: &tonic::Status) -> String {
    format!("{} ({})", snake(s.code()), s.message())
}

/// A gRPC status as a probe error; deadline and cancellation from our timeout are timeouts.
fn status_error(s: &tonic::Status) -> ProbeError {
    let kind = match s.code() {
        Code::DeadlineExceeded => ErrorKind::Timeout,
        Code::Cancelled if s.message().contains("Timeout") => ErrorKind::Timeout,
        Code::Unavailable if super::rest::refused(s) => ErrorKind::ConnectRefused,
        code => ErrorKind::Grpc(snake(code)),
    };
    ProbeError::new(kind, format!("ModelInfer: gRPC status {}", status_text(s)))
}

/// `NotFound` → `not_found`.
fn snake(code: Code) -> String {
    let name = format!("{code:?}");
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The ModelInfer request for `tensors`, with typed contents by datatype.
pub fn infer_request(model: &str, tensors: &[Tensor]) -> Result<ModelInferRequest, RequestError> {
    let inputs = tensors
        .iter()
        .map(|t| {
            let mut c = InferTensorContents::default();
            let nums = || t.data.iter().map(|v| v.as_f64().unwrap_or(0.0));
            match t.datatype.as_str() {
                "BOOL" => {
                    c.bool_contents = t
                        .data
                        .iter()
                        .map(|v| v.as_bool().unwrap_or(false))
                        .collect()
                }
                "INT8" | "INT16" | "INT32" => c.int_contents = nums().map(|v| v as i32).collect(),
                "INT64" => c.int64_contents = nums().map(|v| v as i64).collect(),
                "UINT8" | "UINT16" | "UINT32" => {
                    c.uint_contents = nums().map(|v| v as u32).collect()
                }
                "UINT64" => c.uint64_contents = nums().map(|v| v as u64).collect(),
                "FP32" => c.fp32_contents = nums().map(|v| v as f32).collect(),
                "FP64" => c.fp64_contents = nums().collect(),
                "BYTES" => {
                    c.bytes_contents = t
                        .data
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.as_bytes().to_vec(),
                            other => other.to_string().into_bytes(),
                        })
                        .collect()
                }
                other => {
                    return Err(RequestError::RawContents {
                        name: t.name.clone(),
                        datatype: other.to_string(),
                    });
                }
            }
            Ok(InferInputTensor {
                name: t.name.clone(),
                datatype: t.datatype.clone(),
                shape: t.shape.clone(),
                contents: Some(c),
                ..InferInputTensor::default()
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ModelInferRequest {
        model_name: model.to_string(),
        id: "kdeck-probe".into(),
        inputs,
        ..ModelInferRequest::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn targets_and_codes() {
        assert_eq!(endpoint_uri("127.0.0.1:8081"), "http://127.0.0.1:8081");
        assert_eq!(endpoint_uri("grpc://h:1/"), "http://h:1");
        assert_eq!(snake(Code::NotFound), "not_found");
        assert_eq!(snake(Code::Unavailable), "unavailable");
        assert_eq!(
            status_error(&tonic::Status::deadline_exceeded("x")).kind,
            ErrorKind::Timeout
        );
        assert_eq!(
            status_error(&tonic::Status::internal("boom")).kind,
            ErrorKind::Grpc("internal".into())
        );
    }

    #[test]
    fn tensors_become_typed_contents() {
        let t = vec![
            Tensor {
                name: "x".into(),
                datatype: "FP32".into(),
                shape: vec![1, 2],
                data: vec![json!(1.5), json!(2)],
            },
            Tensor {
                name: "s".into(),
                datatype: "BYTES".into(),
                shape: vec![1],
                data: vec![json!("hi")],
            },
        ];
        let r = infer_request("m", &t).unwrap();
        assert_eq!(
            r.inputs[0].contents.as_ref().unwrap().fp32_contents,
            vec![1.5, 2.0]
        );
        assert_eq!(
            r.inputs[1].contents.as_ref().unwrap().bytes_contents,
            vec![b"hi".to_vec()]
        );
        let fp16 = Tensor {
            name: "h".into(),
            datatype: "FP16".into(),
            shape: vec![1],
            data: vec![json!(0)],
        };
        assert!(matches!(
            infer_request("m", &[fp16]),
            Err(RequestError::RawContents { datatype, .. }) if datatype == "FP16"
        ));
    }

    #[test]
    fn setup_errors_read_as_the_users_message() {
        let fp16 = Tensor {
            name: "h".into(),
            datatype: "FP16".into(),
            shape: vec![1],
            data: vec![json!(0)],
        };
        let raw = GrpcSetupError::from(infer_request("m", &[fp16]).unwrap_err());
        assert_eq!(
            raw.to_string(),
            "cannot build an inference request: input `h` has datatype `FP16`, which needs raw \
             contents; kdeck sends typed contents only"
        );
        let metadata = RequestError::Metadata(Box::new(tonic::Status::unavailable("down")));
        assert_eq!(
            metadata.to_string(),
            "ModelMetadata failed: unavailable (down)"
        );
        assert!(std::error::Error::source(&metadata).is_some());
        let no_inputs = GrpcSetupError::from(RequestError::from(PayloadError::NoInputs));
        assert_eq!(
            no_inputs.to_string(),
            "cannot build an inference request: the model's metadata lists no inputs; give a \
             request body with --payload FILE"
        );
        let missing = GrpcSetupError::ModelNotServed {
            model: "iris".into(),
            target: "h:1".into(),
        };
        assert_eq!(
            missing.to_string(),
            "model `iris` is not served at h:1 (gRPC NOT_FOUND); check --model"
        );
        let slow = GrpcSetupError::ConnectTimeout {
            target: "h:1".into(),
            timeout: Duration::from_millis(500),
        };
        assert_eq!(slow.to_string(), "no gRPC connection to h:1 within 500ms");
        let source = tonic::transport::Endpoint::from_shared("http://a b".to_string()).unwrap_err();
        let bad = GrpcSetupError::NotATarget {
            target: "a b".into(),
            source,
        };
        let bad = bad.to_string();
        assert!(
            bad.starts_with("`a b` is not a gRPC target (") && bad.ends_with("); give HOST:PORT"),
            "{bad}"
        );
    }
}
