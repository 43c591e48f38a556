//! NVML's clocks-event ("throttle") reason bit mask decoded into words for the user.
//!
//! Bit values are NVML's `nvmlClocksEventReason*` constants (`nvml.h`).

use serde::Serialize;

/// Why the GPU's clocks are below their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleReason {
    GpuIdle,
    ApplicationsClocksSetting,
    SwPowerCap,
    HwSlowdown,
    SyncBoost,
    SwThermalSlowdown,
    HwThermalSlowdown,
    HwPowerBrakeSlowdown,
    DisplayClockSetting,
    /// Bits this table does not know (a newer driver).
    Other(u64),
}

const KNOWN: &[(u64, ThrottleReason)] = &[
    (0x1, ThrottleReason::GpuIdle),
    (0x2, ThrottleReason::ApplicationsClocksSetting),
    (0x4, ThrottleReason::SwPowerCap),
    (0x8, ThrottleReason::HwSlowdown),
    (0x10, ThrottleReason::SyncBoost),
    (0x20, ThrottleReason::SwThermalSlowdown),
    (0x40, ThrottleReason::HwThermalSlowdown),
    (0x80, ThrottleReason::HwPowerBrakeSlowdown),
    (0x100, ThrottleReason::DisplayClockSetting),
];

impl ThrottleReason {
    /// A short phrase for a status line.
    pub fn words(self) -> String {
        match self {
            ThrottleReason::GpuIdle => "idle".into(),
            ThrottleReason::ApplicationsClocksSetting => "application clock setting".into(),
            ThrottleReason::SwPowerCap => "power cap".into(),
            ThrottleReason::HwSlowdown => "hardware slowdown".into(),
            ThrottleReason::SyncBoost => "sync boost".into(),
            ThrottleReason::SwThermalSlowdown => "thermal (software)".into(),
            ThrottleReason::HwThermalSlowdown => "thermal (hardware)".into(),
            ThrottleReason::HwPowerBrakeSlowdown => "power brake".into(),
            ThrottleReason::DisplayClockSetting => "display clock setting".into(),
            ThrottleReason::Other(bits) => format!("other reason 0x{bits:x}"),
        }
    }

    /// Whether this reason means the GPU is slowed down by heat or power (worth a colour).
    pub fn is_slowdown(self) -> bool {
        matches!(
            self,
            ThrottleReason::SwPowerCap
                | ThrottleReason::HwSlowdown
                | ThrottleReason::SwThermalSlowdown
                | ThrottleReason::HwThermalSlowdown
                | ThrottleReason::HwPowerBrakeSlowdown
        )
    }
}

/// Decodes NVML's bit mask; unknown bits are kept together as `Other`.
pub fn decode(bits: u64) -> Vec<ThrottleReason> {
    let mut out: Vec<ThrottleReason> = KNOWN
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, reason)| *reason)
        .collect();
    let known_mask: u64 = KNOWN.iter().map(|(bit, _)| bit).sum();
    let rest = bits & !known_mask;
    if rest != 0 {
        out.push(ThrottleReason::Other(rest));
    }
    out
}

/// The reasons as one line (`none` when the clocks are not held down).
pub fn describe(reasons: &[ThrottleReason]) -> String {
    if reasons.is_empty() {
        return "none".into();
    }
    reasons
        .iter()
        .map(|r| r.words())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bits_into_words() {
        let reasons = decode(0x4 | 0x40);
        assert_eq!(
            reasons,
            vec![
                ThrottleReason::SwPowerCap,
                ThrottleReason::HwThermalSlowdown
            ]
        );
        assert_eq!(describe(&reasons), "power cap, thermal (hardware)");
        assert!(reasons.iter().all(|r| r.is_slowdown()));
    }

    #[test]
    fn zero_is_none_and_unknown_bits_are_kept() {
        assert!(decode(0).is_empty());
        assert_eq!(describe(&decode(0)), "none");
        let reasons = decode(0x1 | 0x1000);
        assert_eq!(
            reasons,
            vec![ThrottleReason::GpuIdle, ThrottleReason::Other(0x1000)]
        );
        assert_eq!(describe(&reasons), "idle, other reason 0x1000");
    }
}
