//! The timing of streamed generations: per request the arrival times of its tokens (time to
//! first token, inter-token latencies, decode rate), and over all requests the percentiles
//! `kdeck probe --protocol openai` prints. A token is an event that carried generated text;
//! the output token count is the server's usage when it sent one, else those events.

use super::stats::quantile;
use std::time::Duration;

/// What one OpenAI request measured; every time is since the request was sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamTiming {
    /// When each event with generated text arrived (empty for a request that did not stream).
    pub token_times: Vec<Duration>,
    /// When the answer was complete (end to end).
    pub end: Duration,
    /// `usage.completion_tokens`, when the server said.
    pub usage_tokens: Option<u64>,
}

impl StreamTiming {
    /// Time to first token.
    pub fn ttft(&self) -> Option<Duration> {
        self.token_times.first().copied()
    }

    /// The gaps between consecutive tokens.
    pub fn inter_token(&self) -> impl Iterator<Item = Duration> + '_ {
        self.token_times
            .windows(2)
            .map(|w| w[1].saturating_sub(w[0]))
    }

    /// Output tokens: the usage's count, else the events that carried text.
    pub fn output_tokens(&self) -> u64 {
        self.usage_tokens.unwrap_or(self.token_times.len() as u64)
    }

    /// The decode rate in tokens per second: (tokens − 1) / (last token − first token);
    /// `None` with fewer than two tokens or no time between the first and the last.
    pub fn decode_rate(&self) -> Option<f64> {
        let (first, last) = (self.token_times.first()?, self.token_times.last()?);
        let span = last.saturating_sub(*first).as_secs_f64();
        let tokens = self.output_tokens();
        (tokens >= 2 && span > 0.0).then(|| (tokens - 1) as f64 / span)
    }
}

/// The streaming figures of a probe, as printed (`None` where nothing was measured).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct StreamFigures {
    pub ttft_p50_ms: Option<f64>,
    pub ttft_p90_ms: Option<f64>,
    pub ttft_p99_ms: Option<f64>,
    /// Percentiles of all inter-token gaps of all requests together.
    pub itl_p50_ms: Option<f64>,
    pub itl_p90_ms: Option<f64>,
    pub itl_p99_ms: Option<f64>,
    /// The median over requests of each request's decode rate.
    pub output_tokens_per_s: Option<f64>,
    pub output_tokens_total: u64,
}

/// The figures of the successful requests.
pub fn figures(streams: &[StreamTiming]) -> StreamFigures {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let sorted = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v
    };
    let ttft = sorted(
        streams
            .iter()
            .filter_map(StreamTiming::ttft)
            .map(ms)
            .collect(),
    );
    let itl = sorted(
        streams
            .iter()
            .flat_map(|s| s.inter_token())
            .map(ms)
            .collect(),
    );
    let rates = sorted(
        streams
            .iter()
            .filter_map(StreamTiming::decode_rate)
            .collect(),
    );
    StreamFigures {
        ttft_p50_ms: quantile(&ttft, 0.5),
        ttft_p90_ms: quantile(&ttft, 0.9),
        ttft_p99_ms: quantile(&ttft, 0.99),
        itl_p50_ms: quantile(&itl, 0.5),
        itl_p90_ms: quantile(&itl, 0.9),
        itl_p99_ms: quantile(&itl, 0.99),
        output_tokens_per_s: quantile(&rates, 0.5),
        output_tokens_total: streams.iter().map(StreamTiming::output_tokens).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn stream(times: &[u64], end: u64, usage: Option<u64>) -> StreamTiming {
        StreamTiming {
            token_times: times.iter().map(|t| ms(*t)).collect(),
            end: ms(end),
            usage_tokens: usage,
        }
    }

    #[test]
    fn one_request_gives_ttft_gaps_and_decode_rate() {
        // First token after 80 ms, then one every 20 ms: 5 tokens.
        let s = stream(&[80, 100, 120, 140, 160], 165, None);
        assert_eq!(s.ttft(), Some(ms(80)));
        assert_eq!(s.inter_token().collect::<Vec<_>>(), vec![ms(20); 4]);
        assert_eq!(s.output_tokens(), 5);
        // (5 − 1) tokens in 80 ms.
        assert_eq!(s.decode_rate(), Some(50.0));
    }

    #[test]
    fn the_usage_counts_tokens_when_given() {
        // A server that sent 9 tokens in 3 events (two gaps of 40 ms): 8 tokens in 80 ms.
        let s = stream(&[100, 140, 180], 190, Some(9));
        assert_eq!(s.output_tokens(), 9);
        assert_eq!(s.decode_rate(), Some(100.0));
    }

    #[test]
    fn too_few_tokens_have_no_rate() {
        assert_eq!(stream(&[50], 60, None).decode_rate(), None);
        assert_eq!(stream(&[], 60, Some(12)).decode_rate(), None);
        assert_eq!(stream(&[50, 50], 60, None).decode_rate(), None);
    }

    #[test]
    fn figures_pool_gaps_and_take_the_median_rate() {
        let streams = [
            stream(&[80, 100, 120], 125, None),       // gaps 20, 20; 50 tok/s
            stream(&[90, 130], 135, None),            // gap 40; 25 tok/s
            stream(&[100, 110, 120, 130], 131, None), // gaps 10 ×3; 100 tok/s
            stream(&[], 400, Some(12)),               // not streamed: counts tokens only
        ];
        let f = figures(&streams);
        assert_eq!(f.ttft_p50_ms, Some(90.0));
        assert_eq!(f.ttft_p90_ms, Some(98.0));
        // Gaps 10 10 10 20 20 40: the median is between 10 and 20.
        assert_eq!(f.itl_p50_ms, Some(15.0));
        assert_eq!(f.output_tokens_per_s, Some(50.0));
        assert_eq!(f.output_tokens_total, 3 + 2 + 4 + 12);
        let none = figures(&[]);
        assert_eq!((none.ttft_p50_ms, none.output_tokens_per_s), (None, None));
    }
}
