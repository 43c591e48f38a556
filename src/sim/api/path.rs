//! Request paths of the Kubernetes API, parsed into what they address: discovery documents,
//! OpenAPI, the simulator's control API, or a resource (collection, object, subresource and,
//! for `proxy`, the rest of the path). Follows the API server's layout:
//! `/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB[/REST…]]]` and the same under
//! `/apis/GROUP/VERSION`.

use crate::sim::resources::{Resource, find};

/// A resource request.
#[derive(Debug, Clone)]
pub struct ResourcePath {
    pub resource: &'static Resource,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
    /// What follows the subresource (the proxied path for `proxy`).
    pub rest: String,
}

/// What a path addresses.
#[derive(Debug, Clone)]
pub enum Target {
    Version,
    CoreVersions,
    CoreResources,
    Groups,
    Group(String),
    GroupResources {
        group: String,
        version: String,
    },
    /// `v2`, `v3` or `v3/<group version path>`.
    OpenApi(String),
    Control(String),
    Resource(ResourcePath),
    Unknown,
}

/// Parses a request path (without the query).
pub fn parse(path: &str) -> Target {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["version"] => Target::Version,
        ["api"] => Target::CoreVersions,
        ["api", "v1"] => Target::CoreResources,
        ["api", "v1", rest @ ..] => resource("", "v1", rest),
        ["apis"] => Target::Groups,
        ["apis", group] => Target::Group(group.to_string()),
        ["apis", group, version] => Target::GroupResources {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["apis", group, version, rest @ ..] => resource(group, version, rest),
        ["openapi", rest @ ..] if !rest.is_empty() => Target::OpenApi(rest.join("/")),
        ["kdeck-sim", "v1", what] => Target::Control(what.to_string()),
        _ => Target::Unknown,
    }
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Target {
    // `namespaces/NS/PLURAL…` addresses namespaced objects, unless PLURAL is not a resource
    // (then it is the Namespace object's own subresource, e.g. `namespaces/NS/status`).
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..]
            if find(group, version, plural).is_some_and(|r| r.namespaced) =>
        {
            (Some(ns.to_string()), {
                let mut v = vec![*plural];
                v.extend_from_slice(tail);
                v
            })
        }
        _ => (None, rest.to_vec()),
    };
    let Some((plural, tail)) = rest.split_first() else {
        return Target::Unknown;
    };
    let Some(resource) = find(group, version, plural) else {
        return Target::Unknown;
    };
    let name = tail
        .first()
        .filter(|n| !n.is_empty())
        .map(|n| n.to_string());
    let sub = tail.get(1).map(|s| s.to_string());
    let rest = tail.get(2..).map(|r| r.join("/")).unwrap_or_default();
    Target::Resource(ResourcePath {
        resource,
        namespace,
        name,
        sub,
        rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp(path: &str) -> ResourcePath {
        match parse(path) {
            Target::Resource(rp) => rp,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaced_and_cluster_paths() {
        let p = rp("/apis/serving.kserve.io/v1beta1/namespaces/ml/inferenceservices/a/status");
        assert_eq!(p.resource.kind, "InferenceService");
        assert_eq!(p.namespace.as_deref(), Some("ml"));
        assert_eq!(p.name.as_deref(), Some("a"));
        assert_eq!(p.sub.as_deref(), Some("status"));
        let all = rp("/apis/serving.kserve.io/v1beta1/inferenceservices");
        assert!(all.namespace.is_none() && all.name.is_none());
        let ns = rp("/api/v1/namespaces/ml");
        assert_eq!(ns.resource.kind, "Namespace");
        assert_eq!(ns.name.as_deref(), Some("ml"));
        let ns_status = rp("/api/v1/namespaces/ml/status");
        assert_eq!(ns_status.resource.kind, "Namespace");
        assert_eq!(ns_status.sub.as_deref(), Some("status"));
    }

    #[test]
    fn proxy_keeps_the_rest_of_the_path() {
        let p = rp("/api/v1/namespaces/ml/pods/p-1:8080/proxy/v2/health/ready");
        assert_eq!(p.name.as_deref(), Some("p-1:8080"));
        assert_eq!(p.sub.as_deref(), Some("proxy"));
        assert_eq!(p.rest, "v2/health/ready");
    }

    #[test]
    fn discovery_and_unknown() {
        assert!(matches!(parse("/version"), Target::Version));
        assert!(matches!(parse("/apis/serving.kserve.io"), Target::Group(_)));
        assert!(
            matches!(parse("/openapi/v3/apis/apps/v1"), Target::OpenApi(r) if r == "v3/apis/apps/v1")
        );
        assert!(matches!(parse("/api/v1/widgets"), Target::Unknown));
        assert!(matches!(parse("/nonsense/x"), Target::Unknown));
        assert!(matches!(parse("/kdeck-sim/v1/stats"), Target::Control(w) if w == "stats"));
    }
}
