//! Cumulative histogram buckets: deltas between two scrapes (with counter resets and
//! missing buckets handled), sums across pods, and quantiles by linear interpolation within
//! a bucket, the way Prometheus's `histogram_quantile` computes them.

/// Cumulative buckets `(upper bound, count of observations ≤ bound)`, sorted by bound, the
/// last one `+Inf`. Built only through [`Buckets::from_cumulative`], which repairs what
/// exporters get wrong.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Buckets(Vec<(f64, f64)>);

impl Buckets {
    /// Builds buckets from scraped cumulative pairs. Pairs with a NaN bound or count are
    /// dropped, bounds are sorted and de-duplicated, counts are made monotonic (as Prometheus
    /// does), and a missing `+Inf` bucket is taken from `count` when it is known. Without a
    /// `+Inf` bucket and without a count, the total is unknown and `None` is returned.
    pub fn from_cumulative(pairs: &[(f64, f64)], count: Option<f64>) -> Option<Buckets> {
        let mut v: Vec<(f64, f64)> = pairs
            .iter()
            .copied()
            .filter(|(le, n)| !le.is_nan() && !n.is_nan() && *n >= 0.0)
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v.dedup_by(|later, earlier| later.0 == earlier.0);
        if v.last().is_none_or(|(le, _)| le.is_finite()) {
            let total = count.filter(|c| c.is_finite() && *c >= 0.0)?;
            v.push((f64::INFINITY, total));
        }
        let mut running: f64 = 0.0;
        for (_, n) in v.iter_mut() {
            running = running.max(*n);
            *n = running;
        }
        Some(Buckets(v))
    }

    /// The pairs, sorted, the last one `+Inf`.
    pub fn pairs(&self) -> &[(f64, f64)] {
        &self.0
    }

    /// All observations (the `+Inf` bucket).
    pub fn total(&self) -> f64 {
        self.0.last().map(|(_, n)| *n).unwrap_or(0.0)
    }

    /// The cumulative count at `le`: the count of the largest bound not above it (a step
    /// function, so a bucket one series lacks is never invented).
    pub fn count_at(&self, le: f64) -> f64 {
        self.0
            .iter()
            .take_while(|(b, _)| *b <= le)
            .last()
            .map(|(_, n)| *n)
            .unwrap_or(0.0)
    }

    /// Multiplies every bound by `factor` (seconds → milliseconds).
    pub fn scaled(&self, factor: f64) -> Buckets {
        Buckets(self.0.iter().map(|(le, n)| (le * factor, *n)).collect())
    }

    /// What was observed between `earlier` and `self`. When any count went down the process
    /// restarted (a counter reset): everything in `self` happened since, so `self` is the
    /// delta, and the second value is `true`. Only bounds present in both are compared; a
    /// bound missing from `earlier` is read as its step value there.
    pub fn since(&self, earlier: &Buckets) -> (Buckets, bool) {
        let reset = self.total() < earlier.total()
            || self.0.iter().any(|(le, n)| {
                *n < earlier.count_at(*le) && {
                    // A bound that `earlier` had exactly must not go down.
                    earlier.0.iter().any(|(b, _)| b == le)
                }
            });
        if reset {
            return (self.clone(), true);
        }
        let delta = self
            .0
            .iter()
            .map(|(le, n)| (*le, (n - earlier.count_at(*le)).max(0.0)))
            .collect::<Vec<_>>();
        let mut running: f64 = 0.0;
        let delta = delta
            .into_iter()
            .map(|(le, n)| {
                running = running.max(n);
                (le, running)
            })
            .collect();
        (Buckets(delta), false)
    }

    /// Adds `other` to `self` bound by bound over the union of their bounds.
    pub fn add(&self, other: &Buckets) -> Buckets {
        let mut bounds: Vec<f64> = self.0.iter().chain(&other.0).map(|(le, _)| *le).collect();
        bounds.sort_by(|a, b| a.total_cmp(b));
        bounds.dedup();
        Buckets(
            bounds
                .into_iter()
                .map(|le| (le, self.count_at(le) + other.count_at(le)))
                .collect(),
        )
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) as `histogram_quantile` computes it: find the bucket the
    /// rank falls in and interpolate linearly inside it (the first bucket starts at 0 when
    /// its bound is positive). A rank in the `+Inf` bucket gives the largest finite bound.
    /// `None` when nothing was observed or `q` is out of range.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if !(0.0..=1.0).contains(&q) {
            return None;
        }
        let total = self.total();
        if total <= 0.0 {
            return None;
        }
        let rank = q * total;
        let idx = self.0.iter().position(|(_, n)| *n >= rank)?;
        let (end, cum) = self.0[idx];
        if end.is_infinite() {
            return self
                .0
                .iter()
                .rev()
                .find(|(le, _)| le.is_finite())
                .map(|(le, _)| *le);
        }
        let (start, below) = if idx == 0 {
            (if end > 0.0 { 0.0 } else { return Some(end) }, 0.0)
        } else {
            self.0[idx - 1]
        };
        let in_bucket = cum - below;
        if in_bucket <= 0.0 {
            return Some(end);
        }
        Some(start + (end - start) * ((rank - below) / in_bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(pairs: &[(f64, f64)]) -> Buckets {
        Buckets::from_cumulative(pairs, None).unwrap()
    }

    const INF: f64 = f64::INFINITY;

    #[test]
    fn uniform_distribution_quantiles_interpolate_linearly() {
        // 100 observations spread evenly over 0..100 ms, buckets every 10 ms.
        let pairs: Vec<(f64, f64)> = (1..=10)
            .map(|i| (f64::from(i) * 10.0, f64::from(i) * 10.0))
            .chain([(INF, 100.0)])
            .collect();
        let h = b(&pairs);
        assert!((h.quantile(0.5).unwrap() - 50.0).abs() < 1e-9);
        assert!((h.quantile(0.9).unwrap() - 90.0).abs() < 1e-9);
        assert!((h.quantile(0.99).unwrap() - 99.0).abs() < 1e-9);
        assert!((h.quantile(0.25).unwrap() - 25.0).abs() < 1e-9);
    }

    #[test]
    fn exponential_distribution_matches_within_bucket_resolution() {
        // Expected counts of 10,000 observations of an exponential with mean 50 ms over
        // prometheus_client's default buckets (in ms).
        let bounds = [
            5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0,
        ];
        let cdf = |x: f64| 1.0 - (-x / 50.0).exp();
        let mut pairs: Vec<(f64, f64)> =
            bounds.iter().map(|&le| (le, 10_000.0 * cdf(le))).collect();
        pairs.push((INF, 10_000.0));
        let h = b(&pairs);
        // The true quantiles lie in the buckets found, and the estimate is the linear
        // interpolation between the bucket's edges (computed here from the CDF itself).
        let expect =
            |q: f64, lo: f64, hi: f64| lo + (hi - lo) * (q - cdf(lo)) / (cdf(hi) - cdf(lo));
        let cases: [(f64, f64, f64); 3] =
            [(0.5, 25.0, 50.0), (0.9, 100.0, 250.0), (0.99, 100.0, 250.0)];
        for (q, lo, hi) in cases {
            let truth = -50.0 * (1.0 - q).ln();
            assert!(
                (lo..=hi).contains(&truth),
                "the case itself is wrong for {q}"
            );
            let got = h.quantile(q).unwrap();
            assert!((got - expect(q, lo, hi)).abs() < 1e-6, "q{q}: {got}");
            assert!((lo..=hi).contains(&got), "q{q}: {got} outside its bucket");
        }
    }

    #[test]
    fn a_rank_in_the_inf_bucket_gives_the_largest_finite_bound() {
        let h = b(&[(0.1, 1.0), (1.0, 2.0), (INF, 10.0)]);
        assert_eq!(h.quantile(0.99), Some(1.0));
    }

    #[test]
    fn empty_and_invalid_give_none() {
        assert_eq!(b(&[(1.0, 0.0), (INF, 0.0)]).quantile(0.5), None);
        assert_eq!(b(&[(1.0, 1.0), (INF, 1.0)]).quantile(1.5), None);
        assert!(Buckets::from_cumulative(&[(1.0, 1.0)], None).is_none());
    }

    #[test]
    fn missing_inf_is_taken_from_count_and_non_monotonic_counts_are_repaired() {
        let h = Buckets::from_cumulative(&[(1.0, 5.0), (0.5, 6.0), (2.0, 7.0)], Some(8.0)).unwrap();
        assert_eq!(h.pairs(), &[(0.5, 6.0), (1.0, 6.0), (2.0, 7.0), (INF, 8.0)]);
    }

    #[test]
    fn deltas_subtract_and_resets_restart_from_zero() {
        let a = b(&[(10.0, 5.0), (100.0, 8.0), (INF, 10.0)]);
        let c = b(&[(10.0, 15.0), (100.0, 28.0), (INF, 30.0)]);
        let (d, reset) = c.since(&a);
        assert!(!reset);
        assert_eq!(d.pairs(), &[(10.0, 10.0), (100.0, 20.0), (INF, 20.0)]);
        // The process restarted: counts dropped, so the new counts are the delta.
        let r = b(&[(10.0, 1.0), (100.0, 2.0), (INF, 2.0)]);
        let (d, reset) = r.since(&c);
        assert!(reset);
        assert_eq!(d, r);
    }

    #[test]
    fn a_bucket_that_appears_or_disappears_between_scrapes_is_not_invented() {
        let a = b(&[(10.0, 5.0), (INF, 10.0)]);
        let c = b(&[(10.0, 7.0), (50.0, 9.0), (INF, 14.0)]);
        let (d, reset) = c.since(&a);
        assert!(!reset);
        // At 50 the earlier scrape is read as its step value at 10 (5).
        assert_eq!(d.pairs(), &[(10.0, 2.0), (50.0, 4.0), (INF, 4.0)]);
        let (d, reset) = a.since(&c);
        assert!(reset, "the total went down");
        assert_eq!(d, a);
    }

    #[test]
    fn sums_across_pods_use_the_union_of_bounds() {
        let x = b(&[(10.0, 1.0), (INF, 2.0)]);
        let y = b(&[(20.0, 3.0), (INF, 4.0)]);
        let s = x.add(&y);
        assert_eq!(s.pairs(), &[(10.0, 1.0), (20.0, 4.0), (INF, 6.0)]);
        assert_eq!(Buckets::default().add(&x), x);
    }
}
