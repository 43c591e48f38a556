//! GPU architectures and the numeric precisions each one supports.
//!
//! The precision table follows the project's GPU instance facts (the AWS GPU instance table
//! of the source post): Kepler FP64/FP32; Maxwell FP32; Volta FP64/FP32/FP16; Turing
//! FP32/FP16/INT8; Ampere FP64/FP32/FP16/INT8/BF16/TF32. Generations the table does not
//! cover come from NVIDIA's public specifications:
//! - Pascal: FP64/FP32/FP16, the Tesla P100 datasheet
//!   (<https://www.nvidia.com/en-us/data-center/tesla-p100/>). The GP102/GP104 parts (P4,
//!   P40) also have INT8 dot products; the table keeps the architecture-wide set.
//! - Ada Lovelace: the Ampere set plus FP8, the L4 and L40S datasheets
//!   (<https://www.nvidia.com/en-us/data-center/l4/>,
//!   <https://www.nvidia.com/en-us/data-center/l40s/>).
//! - Hopper: the Ampere set plus FP8 (Transformer Engine), the H100 datasheet
//!   (<https://www.nvidia.com/en-us/data-center/h100/>).
//! - Blackwell: the Hopper set plus FP6 and FP4 (second-generation Transformer Engine),
//!   <https://www.nvidia.com/en-us/data-center/technologies/blackwell-architecture/>.
//!
//! The architecture comes from NVML when it can tell; otherwise (older drivers, and the DCGM
//! exporter's `modelName` label) it is inferred from the marketing name.

use serde::Serialize;
use std::fmt;

/// An NVIDIA GPU micro-architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    Kepler,
    Maxwell,
    Pascal,
    Volta,
    Turing,
    Ampere,
    Ada,
    Hopper,
    Blackwell,
    Unknown,
}

/// A numeric format a GPU computes in natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Precision {
    FP64,
    FP32,
    TF32,
    FP16,
    BF16,
    FP8,
    FP6,
    FP4,
    INT8,
}

impl Precision {
    /// The usual spelling, e.g. `BF16`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::FP64 => "FP64",
            Precision::FP32 => "FP32",
            Precision::TF32 => "TF32",
            Precision::FP16 => "FP16",
            Precision::BF16 => "BF16",
            Precision::FP8 => "FP8",
            Precision::FP6 => "FP6",
            Precision::FP4 => "FP4",
            Precision::INT8 => "INT8",
        }
    }

    /// Parses one spelling (case-insensitive), as in the instance table.
    pub fn parse(text: &str) -> Option<Precision> {
        let all = [
            Precision::FP64,
            Precision::FP32,
            Precision::TF32,
            Precision::FP16,
            Precision::BF16,
            Precision::FP8,
            Precision::FP6,
            Precision::FP4,
            Precision::INT8,
        ];
        all.into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use Precision::*;

const KEPLER: &[Precision] = &[FP64, FP32];
const MAXWELL: &[Precision] = &[FP32];
const PASCAL: &[Precision] = &[FP64, FP32, FP16];
const VOLTA: &[Precision] = &[FP64, FP32, FP16];
const TURING: &[Precision] = &[FP32, FP16, INT8];
const AMPERE: &[Precision] = &[FP64, FP32, FP16, INT8, BF16, TF32];
const ADA: &[Precision] = &[FP64, FP32, FP16, INT8, BF16, TF32, FP8];
const HOPPER: &[Precision] = &[FP64, FP32, FP16, INT8, BF16, TF32, FP8];
const BLACKWELL: &[Precision] = &[FP64, FP32, FP16, INT8, BF16, TF32, FP8, FP6, FP4];

impl Architecture {
    /// The architecture's name as NVIDIA writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Kepler => "Kepler",
            Architecture::Maxwell => "Maxwell",
            Architecture::Pascal => "Pascal",
            Architecture::Volta => "Volta",
            Architecture::Turing => "Turing",
            Architecture::Ampere => "Ampere",
            Architecture::Ada => "Ada",
            Architecture::Hopper => "Hopper",
            Architecture::Blackwell => "Blackwell",
            Architecture::Unknown => "unknown",
        }
    }

    /// The precisions this architecture supports (empty when unknown).
    pub fn precisions(self) -> &'static [Precision] {
        match self {
            Architecture::Kepler => KEPLER,
            Architecture::Maxwell => MAXWELL,
            Architecture::Pascal => PASCAL,
            Architecture::Volta => VOLTA,
            Architecture::Turing => TURING,
            Architecture::Ampere => AMPERE,
            Architecture::Ada => ADA,
            Architecture::Hopper => HOPPER,
            Architecture::Blackwell => BLACKWELL,
            Architecture::Unknown => &[],
        }
    }

    /// Parses an architecture name such as `Ampere` or `Ada Lovelace` (case-insensitive).
    pub fn parse(text: &str) -> Architecture {
        let lower = text.trim().to_ascii_lowercase();
        match lower.split_whitespace().next().unwrap_or("") {
            "kepler" => Architecture::Kepler,
            "maxwell" => Architecture::Maxwell,
            "pascal" => Architecture::Pascal,
            "volta" => Architecture::Volta,
            "turing" => Architecture::Turing,
            "ampere" => Architecture::Ampere,
            "ada" => Architecture::Ada,
            "hopper" => Architecture::Hopper,
            "blackwell" => Architecture::Blackwell,
            _ => Architecture::Unknown,
        }
    }

    /// Infers the architecture from a product name such as `NVIDIA H100 80GB HBM3`,
    /// `Tesla T4`, `NVIDIA A100-SXM4-40GB` or `NVIDIA GeForce RTX 4090`.
    pub fn from_model_name(name: &str) -> Architecture {
        let tokens: Vec<String> = name
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_' || c == ',')
            .filter(|t| !t.is_empty())
            .map(|t| t.to_ascii_uppercase())
            .collect();
        for word in &tokens {
            let named = Architecture::parse(word);
            if named != Architecture::Unknown {
                return named;
            }
        }
        let mut previous = "";
        for token in &tokens {
            if let Some(arch) = from_model_token(token, previous) {
                return arch;
            }
            previous = token;
        }
        Architecture::Unknown
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One name token (upper case) to an architecture; `previous` is the token before it.
fn from_model_token(token: &str, previous: &str) -> Option<Architecture> {
    let exact = match token {
        "K80" | "K40" | "K40M" | "K20" | "K10" | "K520" => Some(Architecture::Kepler),
        "M60" | "M40" | "M10" | "M6" | "M4" => Some(Architecture::Maxwell),
        "P100" | "P40" | "P6" | "P4" | "GP100" => Some(Architecture::Pascal),
        "V100" | "V100S" | "GV100" => Some(Architecture::Volta),
        "T4" | "T4G" | "T1000" | "T400" | "T600" => Some(Architecture::Turing),
        "A100" | "A800" | "A40" | "A30" | "A16" | "A10" | "A10G" | "A10M" | "A2" => {
            Some(Architecture::Ampere)
        }
        "L4" | "L40" | "L40S" | "L20" | "L2" => Some(Architecture::Ada),
        "H100" | "H200" | "H800" | "H20" | "GH200" => Some(Architecture::Hopper),
        "B100" | "B200" | "B300" | "GB200" | "GB300" => Some(Architecture::Blackwell),
        _ => None,
    };
    if exact.is_some() {
        return exact;
    }
    // "RTX A6000", "RTX A4000": Ampere workstation parts.
    if previous == "RTX"
        && token.len() == 5
        && token.starts_with('A')
        && token[1..].bytes().all(|b| b.is_ascii_digit())
    {
        return Some(Architecture::Ampere);
    }
    // GeForce "RTX 2080", "RTX 3090", "RTX 4090", "RTX 5090" and "GTX 1080".
    if (previous == "RTX" || previous == "GTX")
        && token.len() >= 4
        && token.bytes().take(4).all(|b| b.is_ascii_digit())
    {
        return match &token[..2] {
            "10" => Some(Architecture::Pascal),
            "16" | "20" => Some(Architecture::Turing),
            "30" => Some(Architecture::Ampere),
            "40" => Some(Architecture::Ada),
            "50" => Some(Architecture::Blackwell),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_map_to_architectures() {
        let cases = [
            ("NVIDIA H100 80GB HBM3", Architecture::Hopper),
            ("Tesla T4", Architecture::Turing),
            ("NVIDIA A100-SXM4-40GB", Architecture::Ampere),
            ("NVIDIA A10G", Architecture::Ampere),
            ("NVIDIA L40S", Architecture::Ada),
            ("NVIDIA L4", Architecture::Ada),
            ("Tesla V100-SXM2-16GB", Architecture::Volta),
            ("Tesla K80", Architecture::Kepler),
            ("Tesla M60", Architecture::Maxwell),
            ("Tesla P100-PCIE-16GB", Architecture::Pascal),
            ("NVIDIA GeForce RTX 4090", Architecture::Ada),
            ("NVIDIA GeForce RTX 3080 Ti", Architecture::Ampere),
            ("NVIDIA RTX A6000", Architecture::Ampere),
            ("NVIDIA RTX 6000 Ada Generation", Architecture::Ada),
            ("NVIDIA B200", Architecture::Blackwell),
            ("NVIDIA A100-SXM4-40GB MIG 1g.5gb", Architecture::Ampere),
            ("Some Future GPU", Architecture::Unknown),
        ];
        for (name, want) in cases {
            assert_eq!(Architecture::from_model_name(name), want, "{name}");
        }
    }

    #[test]
    fn ada_and_hopper_add_fp8_to_ampere() {
        for arch in [Architecture::Ada, Architecture::Hopper] {
            let p = arch.precisions();
            assert!(p.contains(&Precision::FP8));
            for q in Architecture::Ampere.precisions() {
                assert!(p.contains(q), "{arch} lacks {q}");
            }
        }
        assert!(!Architecture::Ampere.precisions().contains(&Precision::FP8));
    }

    #[test]
    fn facts_table_precisions() {
        assert_eq!(Architecture::Turing.precisions(), &[FP32, FP16, INT8]);
        assert_eq!(Architecture::Maxwell.precisions(), &[FP32]);
        assert_eq!(Architecture::Kepler.precisions(), &[FP64, FP32]);
        assert!(Architecture::Unknown.precisions().is_empty());
        assert_eq!(Precision::parse("bf16"), Some(BF16));
        assert_eq!(Precision::parse("FP12"), None);
    }
}
