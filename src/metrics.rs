//! Prometheus metrics of one node, served at `/metrics`.
//!
//! Counters are updated on the hot path with one atomic add per event (a fan-out adds its
//! recipient count once, not once per recipient).

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
    /// Connections accepted since start.
    pub connections_total: IntCounter,
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
}

impl Metrics {
    /// A fresh set of metrics, all at zero.
    pub fn new() -> Metrics {
        let registry =
            Registry::new_custom(Some("switchboard".into()), None).expect("a valid metrics prefix");
        let windows_connected =
            IntGauge::new("windows_connected", "Websocket connections open now.").unwrap();
        let topics = IntGauge::new("topics", "Topics with at least one local member.").unwrap();
        let connections_total =
            IntCounter::new("connections_total", "Websocket connections accepted.").unwrap();
        let signals_in =
            IntCounter::new("signals_in_total", "Signal calls received from browsers.").unwrap();
        let triggers = IntCounter::new("triggers_total", "Triggers published.").unwrap();
        let signals_out = IntCounter::new(
            "signals_out_total",
            "Signal frames queued for windows, one per recipient.",
        )
        .unwrap();
        let errors = IntCounterVec::new(
            Opts::new("errors_total", "Errors by PROTOCOL.md error code."),
            &["code"],
        )
        .unwrap();
        let disconnects = IntCounterVec::new(
            Opts::new(
                "disconnects_total",
                "Connections closed by the server, by close code.",
            ),
            &["code"],
        )
        .unwrap();
        let handler_duration = HistogramVec::new(
            HistogramOpts::new(
                "handler_duration_seconds",
                "Run time of server signal handlers.",
            )
            .buckets(HANDLER_BUCKETS.to_vec()),
            &["signal"],
        )
        .unwrap();
        let broker_publishes = IntCounter::new(
            "broker_publishes_total",
            "Messages published to other nodes, one per topic of a trigger.",
        )
        .unwrap();
        let broker_received = IntCounter::new(
            "broker_received_total",
            "Messages received from other nodes.",
        )
        .unwrap();
        let broker_reconnects = IntCounter::new(
            "broker_reconnects_total",
            "Times the broker got its connection back after losing it.",
        )
        .unwrap();
        let broker_subscriptions = IntGauge::new(
            "broker_subscriptions",
            "Broker channels this node listens to.",
        )
        .unwrap();
        let broker_dropped = IntCounter::new(
            "broker_dropped_total",
            "Broker events dropped because the registry fell behind.",
        )
        .unwrap();
        for code in ErrorCode::ALL {
            errors.with_label_values(&[code.as_str()]);
        }
        let collectors: [Box<dyn prometheus::core::Collector>; 14] = [
            Box::new(windows_connected.clone()),
            Box::new(topics.clone()),
            Box::new(connections_total.clone()),
            Box::new(signals_in.clone()),
            Box::new(triggers.clone()),
            Box::new(signals_out.clone()),
            Box::new(errors.clone()),
            Box::new(disconnects.clone()),
            Box::new(handler_duration.clone()),
            Box::new(broker_publishes.clone()),
            Box::new(broker_received.clone()),
            Box::new(broker_reconnects.clone()),
            Box::new(broker_subscriptions.clone()),
            Box::new(broker_dropped.clone()),
        ];
        for collector in collectors {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Metrics {
            registry,
            windows_connected,
            topics,
            connections_total,
            signals_in,
            triggers,
            signals_out,
            errors,
            disconnects,
            handler_duration,
            broker_publishes,
            broker_received,
            broker_reconnects,
            broker_subscriptions,
            broker_dropped,
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

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
