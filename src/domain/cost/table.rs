//! The instance price table: shipped in `assets/instances.csv` (embedded at build time) and
//! patched by the user's `[prices]` config entries (`instance = usd_per_hour`).
//!
//! Prices are on-demand list-price estimates, never a bill: every place that shows one says
//! so (`LIST_PRICE_LABEL`). Entries the user sets are marked as theirs.

use crate::domain::gpu::{Architecture, Precision};
use std::collections::BTreeMap;

/// The shipped table (see the file's header line for where its figures come from).
pub const SHIPPED_CSV: &str = include_str!("../../../assets/instances.csv");

/// How every shown price is labelled.
pub const LIST_PRICE_LABEL: &str = "list-price estimate";

/// Where a price comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceBasis {
    /// A figure quoted by the source post (g4dn.2xlarge, g5.xlarge).
    SourcePost,
    /// An approximate us-east-1 on-demand list price shipped with kdeck.
    ApproxList,
    /// A us-east-1 on-demand Linux list price copied from AWS's pricing page (the CPU
    /// families; the row's source says when).
    AwsList,
    /// Set by the user in the config file.
    UserConfig,
}

impl PriceBasis {
    /// Words for a tooltip or footnote.
    pub fn describe(self) -> &'static str {
        match self {
            PriceBasis::SourcePost => "list price quoted by the source post",
            PriceBasis::ApproxList => "approximate us-east-1 on-demand list price",
            PriceBasis::AwsList => "us-east-1 on-demand Linux list price from AWS's pricing page",
            PriceBasis::UserConfig => "price from your config",
        }
    }
}

/// One instance type.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSpec {
    pub instance: String,
    /// The instance family as the table writes it (`G5`, `P4`); see also [`family_of`].
    pub family: Option<String>,
    pub architecture: Architecture,
    pub gpu_model: Option<String>,
    /// `None` for instances the user added without specs (CPU nodes, say).
    pub gpus: Option<u32>,
    pub gpu_memory_gb: Option<u32>,
    pub precisions: Vec<Precision>,
    pub usd_per_hour: Option<f64>,
    pub price_basis: Option<PriceBasis>,
    /// Where the specs come from.
    pub source: Option<String>,
}

/// Instance type → spec and price.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    instances: BTreeMap<String, InstanceSpec>,
}

/// `g5.xlarge` → `g5`; `g5g.metal` → `g5g`.
pub fn family_of(instance: &str) -> &str {
    instance.split('.').next().unwrap_or(instance)
}

impl PriceTable {
    /// The shipped table. Its rows are checked by a test, so warnings here mean a broken
    /// build of the asset; they are returned all the same rather than hidden.
    pub fn shipped() -> (PriceTable, Vec<String>) {
        PriceTable::parse_csv(SHIPPED_CSV)
    }

    /// Parses the CSV layout of `assets/instances.csv`. Rows that do not parse are skipped and
    /// described in the warnings.
    pub fn parse_csv(text: &str) -> (PriceTable, Vec<String>) {
        let mut table = PriceTable::default();
        let mut warnings = Vec::new();
        let mut header: Option<Vec<String>> = None;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = split_csv_line(line);
            let Some(columns) = &header else {
                header = Some(fields);
                continue;
            };
            let get = |name: &str| {
                columns
                    .iter()
                    .position(|c| c == name)
                    .and_then(|i| fields.get(i))
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
            };
            let Some(instance) = get("instance") else {
                warnings.push(format!(
                    "instance table line {}: no instance name",
                    number + 1
                ));
                continue;
            };
            let price = match get("usd_per_hour_on_demand_approx").map(str::parse::<f64>) {
                None => None,
                Some(Ok(p)) if p.is_finite() && p >= 0.0 => Some(p),
                Some(_) => {
                    warnings.push(format!(
                        "instance table line {}: {instance} has an unreadable price; left without one",
                        number + 1
                    ));
                    None
                }
            };
            let basis = price.map(|_| match get("price_basis") {
                Some("source-post") => PriceBasis::SourcePost,
                Some("aws-list") => PriceBasis::AwsList,
                _ => PriceBasis::ApproxList,
            });
            table.instances.insert(
                instance.to_string(),
                InstanceSpec {
                    instance: instance.to_string(),
                    family: get("family").map(str::to_string),
                    architecture: get("architecture")
                        .map(Architecture::parse)
                        .unwrap_or(Architecture::Unknown),
                    gpu_model: get("gpu").map(str::to_string),
                    gpus: get("gpus").and_then(|v| v.parse().ok()),
                    gpu_memory_gb: get("gpu_memory_gb").and_then(|v| v.parse().ok()),
                    precisions: get("precisions")
                        .map(|p| p.split_whitespace().filter_map(Precision::parse).collect())
                        .unwrap_or_default(),
                    usd_per_hour: price,
                    price_basis: basis,
                    source: get("source").map(str::to_string),
                },
            );
        }
        (table, warnings)
    }

    pub fn get(&self, instance: &str) -> Option<&InstanceSpec> {
        self.instances.get(instance)
    }

    pub fn iter(&self) -> impl Iterator<Item = &InstanceSpec> {
        self.instances.values()
    }

    /// Applies the user's prices. Names that are blank, and prices that are negative, not
    /// finite, or absurd (over $10,000/h) become warnings and leave the table as it was.
    /// Unknown instances (CPU nodes, other clouds) are added with just their price.
    pub fn apply_overrides<S: AsRef<str>>(
        &mut self,
        entries: impl IntoIterator<Item = (S, f64)>,
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        for (name, price) in entries {
            let name = name.as_ref().trim();
            if name.is_empty() {
                warnings.push("a price in [prices] has an empty instance name; ignored".into());
                continue;
            }
            if !price.is_finite() || !(0.0..=10_000.0).contains(&price) {
                warnings.push(format!(
                    "price for {name} ({price}) is not a usable $/hour figure; using the shipped \
                     table's instead"
                ));
                continue;
            }
            let spec = self
                .instances
                .entry(name.to_string())
                .or_insert_with(|| InstanceSpec {
                    instance: name.to_string(),
                    family: None,
                    architecture: Architecture::Unknown,
                    gpu_model: None,
                    gpus: None,
                    gpu_memory_gb: None,
                    precisions: Vec::new(),
                    usd_per_hour: None,
                    price_basis: None,
                    source: None,
                });
            spec.usd_per_hour = Some(price);
            spec.price_basis = Some(PriceBasis::UserConfig);
        }
        warnings
    }

    /// Applies a raw `[prices]` TOML table: values must be numbers (integers are fine).
    pub fn apply_toml_overrides(&mut self, prices: &toml::Table) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut good = Vec::new();
        for (name, value) in prices {
            match value {
                toml::Value::Float(f) => good.push((name.clone(), *f)),
                toml::Value::Integer(i) => good.push((name.clone(), *i as f64)),
                other => warnings.push(format!(
                    "price for {name} should be a number of dollars per hour, not {} `{other}`; \
                     ignored",
                    other.type_str()
                )),
            }
        }
        warnings.extend(self.apply_overrides(good));
        warnings
    }
}

/// Splits one CSV line, honouring double-quoted fields with `""` escapes.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        assert_eq!(
            split_csv_line(r#"a,"b, c","d ""e""",f"#),
            vec!["a", "b, c", "d \"e\"", "f"]
        );
    }

    #[test]
    fn shipped_table_parses_cleanly_and_has_the_source_post_prices() {
        let (table, warnings) = PriceTable::shipped();
        assert!(warnings.is_empty(), "{warnings:?}");
        let g4 = table.get("g4dn.2xlarge").expect("g4dn.2xlarge");
        assert_eq!(g4.usd_per_hour, Some(0.752));
        assert_eq!(g4.price_basis, Some(PriceBasis::SourcePost));
        assert_eq!(g4.architecture, Architecture::Turing);
        let g5 = table.get("g5.xlarge").expect("g5.xlarge");
        assert_eq!((g5.usd_per_hour, g5.gpus), (Some(1.006), Some(1)));
        let p3 = table.get("p3.8xlarge").expect("p3.8xlarge");
        assert_eq!(p3.price_basis, Some(PriceBasis::ApproxList));
        // Rows added with cited specs but no shipped price.
        let p5 = table.get("p5.48xlarge").expect("p5.48xlarge");
        assert_eq!(
            (p5.architecture, p5.usd_per_hour),
            (Architecture::Hopper, None)
        );
        assert!(p5.precisions.contains(&Precision::FP8));
        assert!(
            p5.source
                .as_deref()
                .is_some_and(|s| s.starts_with("https://"))
        );
    }

    #[test]
    fn shipped_table_prices_the_common_cpu_families_with_date_and_source() {
        let (table, _) = PriceTable::shipped();
        for family in ["m5", "m6i", "c5", "c6i", "r5"] {
            let sizes: Vec<&InstanceSpec> = table
                .iter()
                .filter(|s| family_of(&s.instance) == family)
                .collect();
            assert_eq!(sizes.len(), 8, "{family}: {sizes:?}");
            for spec in sizes {
                assert_eq!(spec.price_basis, Some(PriceBasis::AwsList), "{spec:?}");
                assert_eq!(spec.gpus, Some(0), "{spec:?}");
                let source = spec.source.as_deref().unwrap_or_default();
                assert!(
                    source.starts_with("https://aws.amazon.com/ec2/pricing/on-demand/")
                        && source.contains("us-east-1")
                        && source.contains("2024-06"),
                    "{source}"
                );
            }
            assert!(
                table.get(&format!("{family}.large")).is_some(),
                "{family}.large"
            );
            assert!(
                table.get(&format!("{family}.24xlarge")).is_some(),
                "{family}.24xlarge"
            );
        }
        // The demo's CPU node type, and prices doubling with each size step.
        let m5 = |size: &str| {
            table
                .get(&format!("m5.{size}"))
                .and_then(|s| s.usd_per_hour)
        };
        assert_eq!(m5("2xlarge"), Some(0.384));
        assert_eq!(m5("4xlarge"), Some(0.768));
        assert_eq!(m5("24xlarge"), Some(4.608));
        assert_eq!(
            table.get("c5.9xlarge").and_then(|s| s.usd_per_hour),
            Some(1.53)
        );
        assert!(
            SHIPPED_CSV
                .lines()
                .next()
                .is_some_and(|l| l.contains("June 2024")
                    && l.contains("https://aws.amazon.com/ec2/pricing/on-demand/")),
            "the header names the date and source of the CPU prices"
        );
    }

    #[test]
    fn config_prices_override_the_shipped_cpu_prices() {
        let (mut table, _) = PriceTable::shipped();
        let warnings = table.apply_overrides([("m5.2xlarge", 0.30)]);
        assert!(warnings.is_empty(), "{warnings:?}");
        let m5 = table.get("m5.2xlarge").expect("m5.2xlarge");
        assert_eq!(
            (m5.usd_per_hour, m5.price_basis),
            (Some(0.30), Some(PriceBasis::UserConfig))
        );
    }

    #[test]
    fn family_is_the_part_before_the_dot() {
        assert_eq!(family_of("g4dn.2xlarge"), "g4dn");
        assert_eq!(family_of("g5g.metal"), "g5g");
    }
}
