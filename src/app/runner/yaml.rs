//! Running the YAML view's fetch: one read of the object under the API deadline, turned into
//! YAML text here (off the app loop), sent back as `Msg::YamlFetched`; or why it could not be
//! read (`YamlFetchError`).

use crate::app::inbox::Outbox;
use crate::app::msg::Msg;
use crate::domain::key::ObjectKey;
use crate::domain::kind::Kind;
use crate::sources::kube::actions::WriteError;
use crate::sources::kube::{actions, llm_write};

/// Why the YAML view has no text, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlFetchError {
    #[error(
        "not connected to the cluster yet: wait until the header shows the connection, then go \
         back (Esc) and press y again"
    )]
    NotConnected,
    /// The API server's answer, or its absence (`source.code`: 404 gone, 403 forbidden, 408
    /// timed out, 0 no answer).
    #[error("could not read {key}: {source}; go back (Esc) and press y to try again")]
    Read {
        key: ObjectKey,
        #[source]
        source: WriteError,
    },
}

/// Reads `key` and sends its YAML (or why not) back. `client: None` is "not connected yet".
pub async fn fetch(client: Option<kube::Client>, key: ObjectKey, kind: Kind, tx: Outbox) {
    let result = match client {
        None => Err(YamlFetchError::NotConnected),
        Some(client) => read(&client, &key, kind).await,
    };
    let _ = tx.send(Msg::YamlFetched { key, result }).await;
}

async fn read(
    client: &kube::Client,
    key: &ObjectKey,
    kind: Kind,
) -> Result<(String, String), YamlFetchError> {
    let object = match kind {
        Kind::LlmInferenceService => llm_write::get_llm(client, &key.namespace, &key.name).await,
        _ => actions::get_isvc(client, &key.namespace, &key.name).await,
    };
    let value = object.map_err(|source| YamlFetchError::Read {
        key: key.clone(),
        source,
    })?;
    let version = value
        .pointer("/metadata/resourceVersion")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_string();
    Ok((crate::domain::yaml_text::object_yaml(value), version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_errors_say_what_happened_and_what_to_do() {
        assert_eq!(
            YamlFetchError::NotConnected.to_string(),
            "not connected to the cluster yet: wait until the header shows the connection, \
             then go back (Esc) and press y again"
        );
        let timed_out = YamlFetchError::Read {
            key: ObjectKey::new("ml", "fraud"),
            source: WriteError {
                code: actions::TIMED_OUT,
                message: "reading ml/fraud timed out after 10s".into(),
            },
        };
        assert_eq!(
            timed_out.to_string(),
            "could not read ml/fraud: reading ml/fraud timed out after 10s; go back (Esc) and \
             press y to try again"
        );
        let source = std::error::Error::source(&timed_out).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("reading ml/fraud timed out after 10s")
        );
    }
}
