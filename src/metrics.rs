//! Prometheus metrics of one node, served at `/metrics`.
//!
//! Counters are updated on the hot path with one atomic add per event (a fan-out adds its
//! recipient count once, not once per recipient).

use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::protocol::ErrorCode;

/// Buckets of handler durations, in seconds: 1 ms to 60 s.
const HANDLER_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Every metric of a node, registered in its own Prometheus registry.
pub struct Metrics {
    /// The registry rendered at `/metrics` (one per server, so tests can run several).
    registry: Registry,
    /// Websocket connections open now.
    pub windows_connected: IntGauge,
    /// Topics with at least one local member now.
    pub topics: IntGauge,
    /// Live window registrations the broker holds (read at scrape time).
    pub windows_registered: IntGauge,
    /// Connections accepted since start.
    pub connections_total: IntCounter,
    /// Websocket upgrades refused by a connection limit, by reason (`node_full`, `rate`,
    /// `per_address`, `per_user`).
    pub connections_refused: IntCounterVec,
    /// Calls received from browsers.
    pub signals_in: IntCounter,
    /// Triggers published (from handlers, views or the HTTP API).
    pub triggers: IntCounter,
    /// Signal frames queued for windows (one per recipient).
    pub signals_out: IntCounter,
    /// Errors sent or logged, by PROTOCOL.md error code.
    pub errors: IntCounterVec,
    /// Connections closed by the server, by close code.
    pub disconnects: IntCounterVec,
    /// Server handler run time, by signal.
    pub handler_duration: HistogramVec,
    /// Messages the broker published to other nodes (one per topic of a trigger).
    pub broker_publishes: IntCounter,
    /// Messages the broker received from other nodes.
    pub broker_received: IntCounter,
    /// Times the broker got its connection back after losing it.
    pub broker_reconnects: IntCounter,
    /// Broker channels this node is subscribed to.
    pub broker_subscriptions: IntGauge,
    /// Events dropped because this node's registry fell behind the broker.
    pub broker_dropped: IntCounter,
    /// Connections that asked to recover what they missed, by outcome (`recovered`, or why
    /// not: PROTOCOL.md §5.6).
    pub recoveries: IntCounterVec,
    /// Signal frames replayed to recovering connections.
    pub replayed: IntCounter,
    /// Calls forwarded to the web application's backend, by outcome (`ok`, an error code,
    /// `unavailable`, `http_error`).
    pub backend_calls: IntCounterVec,
    /// Writes a worker thread's rescue made for windows left waiting (read at scrape time):
    /// the node is overloaded when this grows.
    pub writers_rescued: IntCounter,
}

impl Metrics {
    /// A fresh set of metrics, all at zero.
    pub fn new() -> Metrics {
        let registry =
            Registry::new_custom(Some("switchboard".into()), None).expect("a valid metrics prefix");
        let new = Declare(&registry);
        let errors = new.counter_vec("errors_total", "Errors by PROTOCOL.md error code.", "code");
        // Every code is exposed, at zero until it happens.
        for code in ErrorCode::ALL {
            errors.with_label_values(&[code.as_str()]);
        }
        Metrics {
            windows_connected: new.gauge("windows_connected", "Websocket connections open now."),
            topics: new.gauge("topics", "Topics with at least one local member."),
            windows_registered: new.gauge(
                "windows_registered",
                "Live window registrations (bounded by max_windows): this node's with the \
                 in-memory broker, every node's with Redis (last value read while Redis is \
                 unreachable).",
            ),
            connections_total: new.counter("connections_total", "Websocket connections accepted."),
            connections_refused: new.counter_vec(
                "connections_refused_total",
                "Websocket upgrades refused by a connection limit, by reason.",
                "reason",
            ),
            signals_in: new.counter("signals_in_total", "Signal calls received from browsers."),
            triggers: new.counter("triggers_total", "Triggers published."),
            signals_out: new.counter(
                "signals_out_total",
                "Signal frames queued for windows, one per recipient.",
            ),
            errors,
            disconnects: new.counter_vec(
                "disconnects_total",
                "Connections closed by the server, by close code.",
                "code",
            ),
            handler_duration: new.histogram_vec(
                "handler_duration_seconds",
                "Run time of server signal handlers.",
                HANDLER_BUCKETS,
                "signal",
            ),
            broker_publishes: new.counter(
                "broker_publishes_total",
                "Messages published to other nodes, one per topic of a trigger.",
            ),
            broker_received: new.counter(
                "broker_received_total",
                "Messages received from other nodes.",
            ),
            broker_reconnects: new.counter(
                "broker_reconnects_total",
                "Times the broker got its connection back after losing it.",
            ),
            broker_subscriptions: new.gauge(
                "broker_subscriptions",
                "Broker channels this node listens to.",
            ),
            broker_dropped: new.counter(
                "broker_dropped_total",
                "Broker events dropped because the registry fell behind.",
            ),
            recoveries: new.counter_vec(
                "recoveries_total",
                "Connections that asked to recover what they missed, by outcome.",
                "outcome",
            ),
            replayed: new.counter(
                "replayed_total",
                "Signal frames replayed to recovering connections.",
            ),
            backend_calls: new.counter_vec(
                "backend_calls_total",
                "Calls forwarded to the web application's backend, by outcome.",
                "outcome",
            ),
            writers_rescued: new.counter(
                "writers_rescued_total",
                "Writers polled by their worker thread's rescue after their frames waited \
                 200 ms or more for the window's turn (an overloaded node); per process.",
            ),
            registry,
        }
    }

    /// Counts one error of `code`.
    pub fn error(&self, code: ErrorCode) {
        self.errors.with_label_values(&[code.as_str()]).inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding into memory cannot fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// Creates metrics and registers them in one call, so each is declared once.
struct Declare<'a>(&'a Registry);

impl Declare<'_> {
    /// Registers a freshly built metric and returns it.
    fn register<M>(&self, metric: prometheus::Result<M>) -> M
    where
        M: Collector + Clone + 'static,
    {
        let metric = metric.expect("a valid metric name and help");
        self.0
            .register(Box::new(metric.clone()))
            .expect("metric names are unique");
        metric
    }

    /// A counter.
    fn counter(&self, name: &str, help: &str) -> IntCounter {
        self.register(IntCounter::new(name, help))
    }

    /// A gauge.
    fn gauge(&self, name: &str, help: &str) -> IntGauge {
        self.register(IntGauge::new(name, help))
    }

    /// A counter with one label.
    fn counter_vec(&self, name: &str, help: &str, label: &str) -> IntCounterVec {
        self.register(IntCounterVec::new(Opts::new(name, help), &[label]))
    }

    /// A histogram with one label.
    fn histogram_vec(&self, name: &str, help: &str, buckets: &[f64], label: &str) -> HistogramVec {
        let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
        self.register(HistogramVec::new(opts, &[label]))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
