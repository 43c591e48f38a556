//! Writing an incident snapshot: the Markdown header built from the console's state, then
//! the object's YAML and the last lines of each pod's containers, fetched now, then the file
//! (inert, private).

use crate::domain::inert::inert;
use crate::domain::key::ObjectKey;
use crate::domain::logline::sanitize;
use crate::domain::snapshot::{logs_section, yaml_section};
use crate::sources::kube::logs::split_timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use std::path::PathBuf;

/// What to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRequest {
    pub file_name: String,
    /// Where to write; `None` means the state directory.
    pub path: Option<PathBuf>,
    pub header: String,
    /// The InferenceService whose YAML follows the header, read now.
    pub object: ObjectKey,
    pub streams: Vec<(ObjectKey, String)>,
    pub tail: i64,
}

/// Fetches the log tails, writes the file, and returns its path.
pub async fn write(
    client: &kube::Client,
    request: IncidentRequest,
) -> Result<String, crate::sources::files::FileError> {
    let mut md = request.header;
    let object = &request.object;
    let read =
        crate::sources::kube::actions::get_isvc(client, &object.namespace, &object.name).await;
    md.push_str(&yaml_section(read));
    for (pod, container) in &request.streams {
        let api: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace);
        let params = LogParams {
            container: Some(container.clone()),
            tail_lines: Some(request.tail),
            timestamps: true,
            ..LogParams::default()
        };
        match api.logs(&pod.name, &params).await {
            Ok(text) => {
                let lines: Vec<String> = text
                    .lines()
                    .map(|l| {
                        let (ts, rest) = split_timestamp(l.as_bytes());
                        let body = sanitize(rest).text;
                        match ts {
                            Some(ts) => format!("{} {body}", ts.format("%H:%M:%S%.3f")),
                            None => body,
                        }
                    })
                    .collect();
                md.push_str(&logs_section(&pod.name, container, &lines, None));
            }
            Err(e) => {
                let error = crate::sources::kube::errors::describe(&e);
                md.push_str(&logs_section(&pod.name, container, &[], Some(&error)));
            }
        }
    }
    // The header quotes the cluster (condition reasons, events, messages): the whole file is
    // made inert, so `cat` of a snapshot cannot drive the reader's terminal.
    let md = inert(&md).into_owned();
    match request.path {
        Some(path) => {
            crate::sources::files::write_private_async(path.clone(), md.into_bytes()).await?;
            Ok(path.display().to_string())
        }
        None => crate::sources::files::save_in_state_dir(&request.file_name, &md).await,
    }
}
