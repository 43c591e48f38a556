//! Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the
//! `meta.k8s.io/v1 Table` kubectl asks for, with the CRDs' printer columns and kubectl's own
//! columns for built-in kinds (pods, nodes, events …).

use super::pod_status;
use super::select::json_path;
use crate::domain::k8s::{age, parse_time};
use crate::sim::resources::Resource;
use serde_json::{Value, json};

/// Whether the Accept header asks for a Table.
pub fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

/// A printer-column cell as the API server's CRD table convertor makes it: the first value
/// the JSONPath finds, converted to the column's type, or null (kubectl prints nothing) when
/// there is none.
fn cell(kind: &str, values: &[&Value]) -> Value {
    let Some(first) = values.first() else {
        return Value::Null;
    };
    match kind {
        "integer" => first
            .as_i64()
            .or_else(|| first.as_f64().map(|f| f as i64))
            .map_or(Value::Null, |n| json!(n)),
        "number" => first.as_f64().map_or(Value::Null, |n| json!(n)),
        "boolean" => first.as_bool().map_or(Value::Null, |b| json!(b)),
        _ => match first {
            Value::String(s) => json!(s),
            other => json!(other.to_string()),
        },
    }
}

fn age_of(obj: &Value) -> Value {
    json!(age(
        obj["metadata"]["creationTimestamp"]
            .as_str()
            .and_then(parse_time),
        chrono::Utc::now()
    ))
}

/// Column definitions and the row cells of one object.
/// Every column, whatever its priority: kubectl shows priority-0 columns and adds the others
/// for `-o wide`.
fn columns_and_cells(r: &Resource, obj: &Value) -> (Vec<Value>, Vec<Value>) {
    match r.kind {
        "Pod" => pod_row(obj),
        "Node" => node_row(obj),
        "Event" => event_row(obj),
        "ConfigMap" => (
            vec![
                column("Name", "string", 0),
                column("Data", "integer", 0),
                column("Age", "string", 0),
            ],
            vec![
                name(obj),
                json!(obj["data"].as_object().map(|m| m.len()).unwrap_or(0)),
                age_of(obj),
            ],
        ),
        _ => printer_columns_row(r, obj),
    }
}

/// One column's definition.
fn column(name: &str, kind: &str, priority: u8) -> Value {
    json!({"name": name, "type": kind, "format": if name == "Name" { "name" } else { "" }, "description": name, "priority": priority})
}

/// The object's name cell.
fn name(obj: &Value) -> Value {
    json!(obj["metadata"]["name"].as_str().unwrap_or(""))
}

/// A pod's row, as kubectl's (wide columns at priority 1).
fn pod_row(obj: &Value) -> (Vec<Value>, Vec<Value>) {
    let pod = pod_status::columns(obj);
    let text = |v: &Value| -> String {
        v.as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or("<none>")
            .to_string()
    };
    let mut cols = vec![
        column("Name", "string", 0),
        column("Ready", "string", 0),
        column("Status", "string", 0),
        column("Restarts", "string", 0),
        column("Age", "string", 0),
    ];
    let mut cells = vec![
        name(obj),
        json!(format!("{}/{}", pod.ready, pod.total)),
        json!(pod.status),
        json!(pod.restarts.to_string()),
        age_of(obj),
    ];
    cols.extend([
        column("IP", "string", 1),
        column("Node", "string", 1),
        column("Nominated Node", "string", 1),
        column("Readiness Gates", "string", 1),
    ]);
    cells.extend([
        json!(text(&obj["status"]["podIP"])),
        json!(text(&obj["spec"]["nodeName"])),
        json!("<none>"),
        json!("<none>"),
    ]);
    (cols, cells)
}

/// A node's row.
fn node_row(obj: &Value) -> (Vec<Value>, Vec<Value>) {
    let ready = obj["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .map(|c| {
            if c["status"] == "True" {
                "Ready"
            } else {
                "NotReady"
            }
        })
        .unwrap_or("Unknown");
    let version = obj["status"]["nodeInfo"]["kubeletVersion"]
        .as_str()
        .unwrap_or("v1.33.0");
    (
        vec![
            column("Name", "string", 0),
            column("Status", "string", 0),
            column("Roles", "string", 0),
            column("Age", "string", 0),
            column("Version", "string", 0),
        ],
        vec![
            name(obj),
            json!(ready),
            json!("<none>"),
            age_of(obj),
            json!(version),
        ],
    )
}

/// An event's row.
fn event_row(obj: &Value) -> (Vec<Value>, Vec<Value>) {
    let last = obj["lastTimestamp"]
        .as_str()
        .or(obj["eventTime"].as_str())
        .and_then(parse_time);
    let io = &obj["involvedObject"];
    (
        vec![
            column("Last Seen", "string", 0),
            column("Type", "string", 0),
            column("Reason", "string", 0),
            column("Object", "string", 0),
            column("Message", "string", 0),
        ],
        vec![
            json!(age(last, chrono::Utc::now())),
            obj["type"].clone(),
            obj["reason"].clone(),
            json!(format!(
                "{}/{}",
                io["kind"].as_str().unwrap_or("").to_lowercase(),
                io["name"].as_str().unwrap_or("")
            )),
            obj["message"].clone(),
        ],
    )
}

/// A custom resource's row: its printer columns, or Name and Age without any.
fn printer_columns_row(r: &Resource, obj: &Value) -> (Vec<Value>, Vec<Value>) {
    let mut cols = vec![column("Name", "string", 0)];
    let mut cells = vec![name(obj)];
    for c in r.columns {
        cols.push(column(c.name, c.kind, c.priority));
        if c.kind == "date" {
            cells.push(age_of(obj));
        } else {
            cells.push(cell(c.kind, &json_path(obj, c.json_path)));
        }
    }
    if r.columns.is_empty() {
        cols.push(column("Age", "string", 0));
        cells.push(age_of(obj));
    }
    (cols, cells)
}

/// The object part of a row (`includeObject=Metadata`, kubectl's default).
fn partial(obj: &Value) -> Value {
    // Values are moved or cloned into place: `json!` would copy them by serialising, which
    // costs more than the rest of a 2000-row list.
    let mut p =
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": null});
    p["metadata"] = obj["metadata"].clone();
    p
}

/// A Table of `objects`.
pub fn table(
    r: &Resource,
    objects: &[&Value],
    resource_version: &str,
    continue_token: Option<&str>,
    full_objects: bool,
) -> Value {
    let mut columns = Vec::new();
    let rows: Vec<Value> = objects
        .iter()
        .map(|obj| {
            let (cols, cells) = columns_and_cells(r, obj);
            if columns.is_empty() {
                columns = cols;
            }
            let mut row = json!({"cells": null, "object": null});
            row["cells"] = Value::Array(cells);
            row["object"] = if full_objects {
                (*obj).clone()
            } else {
                partial(obj)
            };
            row
        })
        .collect();
    if columns.is_empty() {
        let placeholder = json!({"metadata": {}});
        columns = columns_and_cells(r, &placeholder).0;
    }
    let mut metadata = json!({"resourceVersion": resource_version});
    if let Some(t) = continue_token {
        metadata["continue"] = json!(t);
    }
    let mut table = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": null, "rows": null});
    table["columnDefinitions"] = Value::Array(columns);
    table["rows"] = Value::Array(rows);
    table
}
