//! One retry schedule shared by every watcher of a connection: 250 ms doubling to a 30 s
//! cap, with jitter, counted across kinds. During an outage the watchers together make
//! about one connection attempt a second or fewer (not one each every 250 ms); the first
//! watcher that gets through resets the schedule and wakes the others at once.

use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// The first delay.
pub const FIRST: Duration = Duration::from_millis(250);
/// The longest delay.
pub const CAP: Duration = Duration::from_secs(30);

/// The delay after `failures` earlier failures (0 for the first), given `random` in [0, 1):
/// the doubled delay, capped, then between half and all of it ("equal jitter"), so the
/// watchers' retries spread out instead of arriving together.
pub fn delay(failures: u32, random: f64) -> Duration {
    let doubled = FIRST.saturating_mul(1u32 << failures.min(16));
    let full = doubled.min(CAP);
    let random = random.clamp(0.0, 1.0);
    full.mul_f64(0.5 + random / 2.0)
}

/// The shared schedule: failures counted across watchers, and a signal that wakes every
/// waiting watcher when one gets through.
#[derive(Debug)]
pub struct SharedBackoff {
    failures: Mutex<u32>,
    recovered: watch::Sender<u64>,
}

impl Default for SharedBackoff {
    fn default() -> Self {
        SharedBackoff {
            failures: Mutex::new(0),
            recovered: watch::Sender::new(0),
        }
    }
}

impl SharedBackoff {
    /// Records a failure; returns how long the failing watcher waits.
    pub fn failed(&self) -> Duration {
        let mut failures = match self.failures.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let wait = delay(*failures, rand::random::<f64>());
        *failures = failures.saturating_add(1);
        wait
    }

    /// A watcher got through: the schedule starts over and the waiting watchers retry now.
    pub fn succeeded(&self) {
        let mut failures = match self.failures.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if *failures > 0 {
            *failures = 0;
            self.recovered.send_modify(|n| *n += 1);
        }
    }

    /// Waits `wait`, or less if another watcher gets through meanwhile.
    pub async fn pause(&self, wait: Duration) {
        let mut recovered = self.recovered.subscribe();
        recovered.mark_unchanged();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = recovered.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_doubles_from_250ms_to_a_30s_cap_with_jitter() {
        let ms = |failures, random| delay(failures, random).as_millis();
        // No jitter drawn at the top of the range: the doubling itself.
        let top: Vec<u128> = (0..9).map(|n| ms(n, 1.0)).collect();
        assert_eq!(
            top,
            vec![250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]
        );
        // The jitter takes between half and all of the delay.
        assert_eq!(ms(0, 0.0), 125);
        assert_eq!(ms(7, 0.0), 15000);
        assert_eq!(ms(7, 0.5), 22500);
        assert_eq!(ms(1000, 0.999_999), 29999);
    }

    #[test]
    fn failures_are_counted_across_watchers_and_a_success_starts_over() {
        let shared = SharedBackoff::default();
        for _ in 0..8 {
            shared.failed();
        }
        // The ninth failure, whichever watcher has it, waits at least half the cap.
        assert!(shared.failed() >= CAP / 2);
        shared.succeeded();
        assert!(shared.failed() <= FIRST);
    }

    #[tokio::test]
    async fn a_success_wakes_the_waiting_watchers() {
        let shared = std::sync::Arc::new(SharedBackoff::default());
        shared.failed();
        let waiting = {
            let shared = shared.clone();
            tokio::spawn(async move { shared.pause(Duration::from_secs(3600)).await })
        };
        tokio::task::yield_now().await;
        shared.succeeded();
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("woken")
            .expect("joined");
    }
}
