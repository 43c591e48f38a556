//! The status KServe writes on an LLMInferenceService: conditions, the observed workloads,
//! router (gateways, scheduler's InferencePool, routing group with its members), addresses,
//! applied configs. v1alpha1 lacks workloads, appliedConfigs and the group; they read empty.

use crate::domain::json::{array_at, bool_at, int_at, str_at};
use crate::domain::k8s::{Condition, conditions};
use serde_json::Value;

/// A reference to an object the controller created (`kind/name` or `namespace/name`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjRef {
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

impl ObjRef {
    fn parse(v: Option<&Value>) -> Option<ObjRef> {
        let v = v?;
        let name = str_at(v, &["name"])?.to_string();
        Some(ObjRef {
            kind: str_at(v, &["kind"]).unwrap_or("").to_string(),
            namespace: str_at(v, &["namespace"]).unwrap_or("").to_string(),
            name,
        })
    }

    /// `Deployment/x`, `ns/x`, or `x`.
    pub fn label(&self) -> String {
        match (self.kind.is_empty(), self.namespace.is_empty()) {
            (false, _) => format!("{}/{}", self.kind, self.name),
            (true, false) => format!("{}/{}", self.namespace, self.name),
            (true, true) => self.name.clone(),
        }
    }
}

/// `status.workloads` (v1alpha2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Workloads {
    pub primary: Option<ObjRef>,
    pub prefill: Option<ObjRef>,
    pub service: Option<ObjRef>,
    pub scheduler: Option<ObjRef>,
}

/// A Gateway the service is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GatewayStatus {
    pub gateway: ObjRef,
    pub listeners: Vec<String>,
    pub http_routes: Vec<String>,
}

/// One member of a routing group, as `status.router.group.members[]` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupMember {
    pub name: String,
    pub weight: i64,
    pub stopped: bool,
}

/// `status.router.group`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    pub name: String,
    pub members: Vec<GroupMember>,
}

impl Group {
    /// A member's share of the traffic in percent (stopped members get none).
    pub fn share_percent(&self, member: &str) -> Option<f64> {
        let active: i64 = self
            .members
            .iter()
            .filter(|m| !m.stopped)
            .map(|m| m.weight.max(0))
            .sum();
        let m = self.members.iter().find(|m| m.name == member)?;
        if m.stopped || active == 0 {
            return Some(0.0);
        }
        Some(100.0 * m.weight.max(0) as f64 / active as f64)
    }
}

/// `status.router`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouterStatus {
    pub gateways: Vec<GatewayStatus>,
    pub inference_pool: Option<ObjRef>,
    pub scheduler_service: Option<ObjRef>,
    pub group: Option<Group>,
}

/// One of `status.addresses[]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub name: String,
    pub url: String,
    pub origin: Option<ObjRef>,
    pub models: Vec<String>,
}

/// One of `status.appliedConfigs[]`: a config merged into the spec (`Preset` or `UserRef`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppliedConfig {
    pub name: String,
    pub namespace: String,
    pub source: String,
}

/// The whole status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LlmStatus {
    pub present: bool,
    pub observed_generation: Option<i64>,
    pub url: Option<String>,
    pub conditions: Vec<Condition>,
    pub workloads: Workloads,
    pub router: RouterStatus,
    pub addresses: Vec<Address>,
    pub applied_configs: Vec<AppliedConfig>,
}

fn strings(v: &Value, path: &[&str]) -> Vec<String> {
    array_at(v, path)
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn router(r: &Value) -> RouterStatus {
    RouterStatus {
        gateways: array_at(r, &["gateways"])
            .iter()
            .filter_map(|g| {
                Some(GatewayStatus {
                    gateway: ObjRef::parse(Some(g))?,
                    listeners: strings(g, &["listeners"]),
                    http_routes: array_at(g, &["httpRoutes"])
                        .iter()
                        .filter_map(|h| ObjRef::parse(Some(h)).map(|r| r.name))
                        .collect(),
                })
            })
            .collect(),
        inference_pool: ObjRef::parse(crate::domain::json::at(r, &["scheduler", "inferencePool"])),
        scheduler_service: ObjRef::parse(crate::domain::json::at(r, &["scheduler", "service"])),
        group: r.get("group").filter(|g| g.is_object()).map(|g| Group {
            name: str_at(g, &["name"]).unwrap_or("").to_string(),
            members: array_at(g, &["members"])
                .iter()
                .filter_map(|m| {
                    Some(GroupMember {
                        name: str_at(m, &["name"])?.to_string(),
                        weight: int_at(m, &["weight"]).unwrap_or(0),
                        stopped: bool_at(m, &["stopped"]).unwrap_or(false),
                    })
                })
                .collect(),
        }),
    }
}

impl LlmStatus {
    /// Reads `status`. Never fails; a non-object status reads as absent.
    pub fn parse(status: Option<&Value>) -> LlmStatus {
        let Some(s) = status.filter(|s| s.is_object()) else {
            return LlmStatus::default();
        };
        let w = s.get("workloads").unwrap_or(&Value::Null);
        let mut addresses: Vec<Address> = array_at(s, &["addresses"])
            .iter()
            .filter_map(|a| {
                Some(Address {
                    name: str_at(a, &["name"]).unwrap_or("").to_string(),
                    url: str_at(a, &["url"])?.to_string(),
                    origin: ObjRef::parse(a.get("origin")),
                    models: array_at(a, &["models"])
                        .iter()
                        .filter_map(|m| str_at(m, &["name"]).map(str::to_string))
                        .collect(),
                })
            })
            .collect();
        // v1alpha1 may carry only the single duck-typed `address`.
        if addresses.is_empty()
            && let Some(url) = str_at(s, &["address", "url"])
        {
            addresses.push(Address {
                name: str_at(s, &["address", "name"]).unwrap_or("").to_string(),
                url: url.to_string(),
                ..Address::default()
            });
        }
        LlmStatus {
            present: true,
            observed_generation: int_at(s, &["observedGeneration"]),
            url: str_at(s, &["url"]).map(str::to_string),
            conditions: conditions(s, &["conditions"]),
            workloads: Workloads {
                primary: ObjRef::parse(w.get("primary")),
                prefill: ObjRef::parse(w.get("prefill")),
                service: ObjRef::parse(w.get("service")),
                scheduler: ObjRef::parse(w.get("scheduler")),
            },
            router: s
                .get("router")
                .filter(|r| r.is_object())
                .map(router)
                .unwrap_or_default(),
            addresses,
            applied_configs: array_at(s, &["appliedConfigs"])
                .iter()
                .filter_map(|c| {
                    Some(AppliedConfig {
                        name: str_at(c, &["name"])?.to_string(),
                        namespace: str_at(c, &["namespace"]).unwrap_or("").to_string(),
                        source: str_at(c, &["source"]).unwrap_or("").to_string(),
                    })
                })
                .collect(),
        }
    }
}
