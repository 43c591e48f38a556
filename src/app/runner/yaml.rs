//! Running the YAML view's fetch: one read of the object under the API deadline, turned into
//! YAML text here (off the app loop), sent back as `Msg::YamlFetched`.

use crate::app::inbox::Outbox;
use crate::app::msg::Msg;
use crate::domain::key::ObjectKey;
use crate::domain::kind::Kind;
use crate::sources::kube::{actions, llm_write};

/// Reads `key` and sends its YAML (or why not) back. `client: None` is "not connected yet".
pub async fn fetch(client: Option<kube::Client>, key: ObjectKey, kind: Kind, tx: Outbox) {
    let result = match client {
        None => Err(
            "not connected to the cluster yet: wait until the header shows the connection, \
             then go back (Esc) and press y again"
                .to_string(),
        ),
        Some(client) => read(&client, &key, kind).await,
    };
    let _ = tx.send(Msg::YamlFetched { key, result }).await;
}

async fn read(
    client: &kube::Client,
    key: &ObjectKey,
    kind: Kind,
) -> Result<(String, String), String> {
    let object = match kind {
        Kind::LlmInferenceService => llm_write::get_llm(client, &key.namespace, &key.name).await,
        _ => actions::get_isvc(client, &key.namespace, &key.name).await,
    };
    match object {
        Ok(value) => {
            let version = value
                .pointer("/metadata/resourceVersion")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_string();
            Ok((crate::domain::yaml_text::object_yaml(value), version))
        }
        Err(e) => Err(format!(
            "could not read {key}: {}; go back (Esc) and press y to try again",
            e.message
        )),
    }
}
