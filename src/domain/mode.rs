//! KServe deployment modes. Current names are `Knative`, `Standard` and `ModelMesh`; the
//! legacy `Serverless` and `RawDeployment` are accepted and normalised, as KServe's
//! `ParseDeploymentMode` does (FACTS.md §a, gotcha 1).

/// How an InferenceService is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeploymentMode {
    /// Knative revisions; canary by `canaryTrafficPercent` (formerly Serverless).
    Knative,
    /// Plain Deployments; canary by `spec.canary[]` (formerly RawDeployment).
    Standard,
    ModelMesh,
}

impl DeploymentMode {
    /// Parses current and legacy spellings (case-insensitive).
    pub fn parse(text: &str) -> Option<DeploymentMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "knative" | "serverless" => Some(DeploymentMode::Knative),
            "standard" | "rawdeployment" => Some(DeploymentMode::Standard),
            "modelmesh" => Some(DeploymentMode::ModelMesh),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeploymentMode::Knative => "Knative",
            DeploymentMode::Standard => "Standard",
            DeploymentMode::ModelMesh => "ModelMesh",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_new_names() {
        assert_eq!(
            DeploymentMode::parse("Serverless"),
            Some(DeploymentMode::Knative)
        );
        assert_eq!(
            DeploymentMode::parse("Knative"),
            Some(DeploymentMode::Knative)
        );
        assert_eq!(
            DeploymentMode::parse("RawDeployment"),
            Some(DeploymentMode::Standard)
        );
        assert_eq!(
            DeploymentMode::parse("standard"),
            Some(DeploymentMode::Standard)
        );
        assert_eq!(
            DeploymentMode::parse("ModelMesh"),
            Some(DeploymentMode::ModelMesh)
        );
        assert_eq!(DeploymentMode::parse("Hybrid"), None);
    }
}
