//! Latency summaries: exact percentiles over every sample of a run.

use serde::Serialize;

/// p50, p99 and max of a set of latencies, in milliseconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
}

/// Summarises latency samples given in microseconds (`None` when there are none).
pub fn summarize(mut micros: Vec<u32>) -> Option<Latency> {
    if micros.is_empty() {
        return None;
    }
    micros.sort_unstable();
    let at = |q: f64| {
        let index = ((micros.len() as f64 - 1.0) * q).round() as usize;
        f64::from(micros[index]) / 1000.0
    };
    Some(Latency {
        p50: at(0.50),
        p99: at(0.99),
        max: at(1.0),
    })
}

/// Rounds to three decimals for reports.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_one_to_a_hundred() {
        let l = summarize((1..=100).map(|ms| ms * 1000).collect()).unwrap();
        assert_eq!((l.p50, l.p99, l.max), (51.0, 99.0, 100.0));
        assert!(summarize(Vec::new()).is_none());
    }
}
