//! Configuration of a server: defaults, overridden by a TOML file, overridden by the
//! environment (`SWITCHBOARD_*`), overridden by the command line.
//!
//! Every option is declared once, on its [`Config`] field: the field name is the TOML key, the
//! `#[arg]` attribute gives the flag, the environment variable and the default, and the doc
//! comment is the help text. `switchboard serve --help`, [`Config::default`] and the README's
//! table ([`reference_table`]) are all derived from those declarations. [`ServeArgs`] adds the
//! file option and merges the sources.

mod cidr;
mod reference;
mod serve_args;

use std::collections::HashMap;
use std::path::Path;

use clap::{Args, FromArgMatches};
use serde::{Deserialize, Serialize};

pub use cidr::{Cidr, InvalidCidr};
pub use reference::reference_table;
pub use serve_args::ServeArgs;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The limits of one named handler queue (the router applies them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Handlers of this queue running at once.
    pub concurrency: usize,
    /// Calls allowed to wait for a free slot; beyond it calls fail with `rate_limited`.
    pub backlog: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            concurrency: 64,
            backlog: 10_000,
        }
    }
}

/// Everything a server can be configured with. Field names are the TOML keys; each field's
/// doc comment is its `--help` text and its description in the README.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "SWITCHBOARD_BIND", default_value = "127.0.0.1:8000")]
    pub bind: String,
    /// Enables the HTTP API (PROTOCOL.md §6) with this bearer key of at least 16 characters;
    /// without it the API answers 404.
    #[arg(long, env = "SWITCHBOARD_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Mounts the demo application at `/`.
    #[arg(long, env = "SWITCHBOARD_DEMO")]
    pub demo: bool,
    /// How log lines are written.
    #[arg(long, env = "SWITCHBOARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Path of the websocket endpoint.
    #[arg(long, env = "SWITCHBOARD_WS_PATH", default_value = "/ws/")]
    pub ws_path: String,
    /// Public URL of the websocket endpoint (`wss://example.com/ws/`) given to pages and API
    /// clients, e.g. behind a proxy; derived from each request when unset.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_WS_URL")]
    pub public_ws_url: Option<String>,
    /// Time-to-live of a window registration, in seconds.
    #[arg(long, env = "SWITCHBOARD_WINDOW_TTL_SECS", default_value_t = 36_000)]
    pub window_ttl_secs: u64,
    /// Time limit of a handler that declares none, in milliseconds.
    #[arg(long, env = "SWITCHBOARD_HANDLER_TIMEOUT_MS", default_value_t = 30_000)]
    pub handler_timeout_ms: u64,
    /// Largest inbound message, in bytes, after reassembly of fragments; beyond it the
    /// connection closes with 1009.
    #[arg(long, env = "SWITCHBOARD_MAX_FRAME_BYTES", default_value_t = 64 * 1024)]
    pub max_frame_bytes: usize,
    /// Frames that may wait for one slow window; beyond it the window closes with 1013.
    #[arg(long, env = "SWITCHBOARD_OUTBOUND_QUEUE", default_value_t = 1024)]
    pub outbound_queue: usize,
    /// Bytes of frames that may wait for one slow window (a frame always fits into an empty
    /// queue); beyond it the window closes with 1013 at once and its queue is freed.
    #[arg(
        long,
        env = "SWITCHBOARD_OUTBOUND_QUEUE_BYTES",
        default_value_t = 1024 * 1024
    )]
    pub outbound_queue_bytes: usize,
    /// Seconds frames may wait while a window's socket accepts no bytes; beyond it the
    /// window closes with 1013 (a connection that then cannot take its close frame is reset
    /// 2 s later).
    #[arg(long, env = "SWITCHBOARD_WRITE_TIMEOUT_SECS", default_value_t = 5)]
    pub write_timeout_secs: u64,
    /// Refuse websocket upgrades with a missing, unknown or expired window key (HTTP 403)
    /// instead of accepting them as anonymous windows.
    #[arg(long, env = "SWITCHBOARD_REFUSE_UNKNOWN_WINDOWS")]
    pub refuse_unknown_windows: bool,
    /// Origins allowed to open websockets (`https://example.com`, or `*` for any; repeat the
    /// flag, or comma-separate in the environment); others get 403. None given: only pages of
    /// the request's `Host` or of `public_ws_url` (same origin); upgrades without `Origin` are
    /// always accepted.
    #[arg(
        long = "allowed-origin",
        env = "SWITCHBOARD_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Largest HTTP API body, in bytes (413 beyond).
    #[arg(long, env = "SWITCHBOARD_MAX_API_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_api_body_bytes: usize,
    /// Seconds between server pings on an idle connection.
    #[arg(long, env = "SWITCHBOARD_PING_INTERVAL_SECS", default_value_t = 20)]
    pub ping_interval_secs: u64,
    /// Seconds without any frame from a client before its connection is closed.
    #[arg(long, env = "SWITCHBOARD_CLIENT_TIMEOUT_SECS", default_value_t = 60)]
    pub client_timeout_secs: u64,
    /// HTTP worker threads; 0 means one per CPU core.
    #[arg(long, env = "SWITCHBOARD_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// On SIGTERM or Ctrl-C, seconds running handlers may take to finish before windows are
    /// closed with 1001; the process exits at most 3 s after that, whatever clients do.
    #[arg(long, env = "SWITCHBOARD_SHUTDOWN_TIMEOUT_SECS", default_value_t = 10)]
    pub shutdown_timeout_secs: u64,
    /// Calls a window may make per second, on average (`rate_limited` beyond); 0 for no limit.
    #[arg(long, env = "SWITCHBOARD_CALLS_PER_SECOND", default_value_t = 50)]
    pub calls_per_second: u32,
    /// Calls a window may make in a burst. A window that keeps calling while limited (as many
    /// refused calls as a burst, faster than the rate) is closed with 1008.
    #[arg(long, env = "SWITCHBOARD_CALL_BURST", default_value_t = 100)]
    pub call_burst: u32,
    /// Calls of one window running at once (`rate_limited` beyond).
    #[arg(long, env = "SWITCHBOARD_MAX_CALLS_IN_FLIGHT", default_value_t = 32)]
    pub max_calls_in_flight: usize,
    /// Deepest nesting of a call's `opts` (`bad_frame` beyond).
    #[arg(long, env = "SWITCHBOARD_MAX_OPTS_DEPTH", default_value_t = 32)]
    pub max_opts_depth: usize,
    /// Application topics a window may be in; registrations and topic changes beyond are
    /// refused (HTTP 400, `invalid_arguments` from handlers).
    #[arg(long, env = "SWITCHBOARD_MAX_TOPICS_PER_WINDOW", default_value_t = 100)]
    pub max_topics_per_window: usize,
    /// Window registrations kept at once (by this node with the in-memory broker, by all nodes
    /// together in Redis); registering a new window beyond them is refused (HTTP 503
    /// `too_many_windows`) until some expire or are deleted.
    #[arg(long, env = "SWITCHBOARD_MAX_WINDOWS", default_value_t = 1_000_000)]
    pub max_windows: usize,
    /// Simultaneous websockets this node accepts, whoever opens them; HTTP 503 beyond. 0
    /// derives it at start from the open-file limit (the soft limit, first raised to the hard
    /// one), keeping a tenth of it (at least 100) for Redis, logs and HTTP requests.
    #[arg(long, env = "SWITCHBOARD_MAX_CONNECTIONS", default_value_t = 0)]
    pub max_connections: usize,
    /// Proxies whose `X-Forwarded-For` (else `Forwarded`) names the client, as CIDR blocks
    /// or addresses (`10.0.0.0/8`, `::1`; repeat the flag, or comma-separate in the
    /// environment). The client is the right-most address that is not a trusted proxy. None
    /// by default: the client address is the TCP peer.
    #[arg(
        long = "trusted-proxies",
        env = "SWITCHBOARD_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<Cidr>,
    /// Simultaneous websockets per client address (the TCP peer, or what `trusted_proxies`
    /// forward); HTTP 429 beyond; 0 (the default) for no limit. Behind a proxy or a NAT
    /// every user may share one address: set it only with `trusted_proxies`, or when the
    /// server faces browsers directly.
    #[arg(long, env = "SWITCHBOARD_MAX_CONNECTIONS_PER_IP", default_value_t = 0)]
    pub max_connections_per_ip: usize,
    /// Simultaneous websockets per user; HTTP 429 beyond; 0 for no limit.
    #[arg(
        long,
        env = "SWITCHBOARD_MAX_CONNECTIONS_PER_USER",
        default_value_t = 100
    )]
    pub max_connections_per_user: usize,
    /// New websockets per second per client address, on average; HTTP 429 beyond; 0 (the
    /// default) for no limit. Like `max_connections_per_ip`, for a server that sees its
    /// clients' addresses (a reconnect storm after a deploy comes from every client at once).
    #[arg(
        long,
        env = "SWITCHBOARD_CONNECTIONS_PER_SECOND_PER_IP",
        default_value_t = 0
    )]
    pub connections_per_second_per_ip: u32,
    /// New websockets per client address in a burst (with `connections_per_second_per_ip`).
    #[arg(
        long,
        env = "SWITCHBOARD_CONNECTION_BURST_PER_IP",
        default_value_t = 100
    )]
    pub connection_burst_per_ip: u32,
    /// Triggers kept per topic so that windows coming back after a lost connection receive
    /// what they missed (PROTOCOL.md §5.6); 0 turns history and recovery off.
    #[arg(long, env = "SWITCHBOARD_HISTORY_SIZE", default_value_t = 100)]
    pub history_size: usize,
    /// Seconds a trigger stays in its topics' history; a window away longer cannot recover.
    #[arg(long, env = "SWITCHBOARD_HISTORY_TTL_SECS", default_value_t = 300)]
    pub history_ttl_secs: u64,
    /// Most triggers replayed to one returning window; beyond it the window is told that
    /// nothing was recovered, and refetches.
    #[arg(long, env = "SWITCHBOARD_RECOVERY_MAX", default_value_t = 300)]
    pub recovery_max: usize,
    /// Bound of the in-memory history of all topics together, in bytes, each topic's own
    /// bookkeeping counted; the oldest entries go first (with Redis, `history_size` and
    /// `history_ttl_secs` bound each topic's stream).
    #[arg(
        long,
        env = "SWITCHBOARD_HISTORY_MAX_BYTES",
        default_value_t = 64 * 1024 * 1024
    )]
    pub history_max_bytes: usize,
    /// Base URL of the web application's backend (`http://django:8000/switchboard/`): browser
    /// calls and server triggers of signals without a Rust handler are forwarded there
    /// (PROTOCOL.md §10), such as a Django site's `@signal` handlers (switchboard-django).
    #[arg(long, env = "SWITCHBOARD_BACKEND_URL")]
    pub backend_url: Option<String>,
    /// The shared secret sent to the backend as a bearer token, at least 16 characters;
    /// required with `backend_url`.
    #[arg(long, env = "SWITCHBOARD_BACKEND_KEY", hide_env_values = true)]
    pub backend_key: Option<String>,
    /// Limits per named handler queue (`[queues.slow] concurrency = 4`). A TOML table has no
    /// single clap type: its flag, `--queue`, is declared on [`ServeArgs`].
    #[arg(skip)]
    pub queues: HashMap<String, QueueConfig>,
    /// Redis URL (`redis://host:6379/0`): nodes sharing it act as one server. Without it the
    /// in-memory broker serves one process.
    #[arg(long = "redis", env = "SWITCHBOARD_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel.
    #[arg(long, env = "SWITCHBOARD_REDIS_PREFIX", default_value = "switchboard:")]
    pub redis_prefix: String,
    /// `redis_url` names seed nodes of a Redis Cluster, comma-separated: sharded pub/sub
    /// (`SSUBSCRIBE`/`SPUBLISH`).
    #[arg(long, env = "SWITCHBOARD_REDIS_CLUSTER")]
    pub redis_cluster: bool,
}

impl Default for Config {
    /// The defaults declared on the fields, as clap applies them to an empty command line;
    /// the environment is not read.
    fn default() -> Self {
        let command = Config::augment_args(clap::Command::new("defaults"))
            .mut_args(|arg| arg.env(None::<&str>));
        let matches = command
            .try_get_matches_from(["defaults"])
            .expect("no option is required");
        Config::from_arg_matches(&matches).expect("every default parses")
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this configuration.
    #[error("invalid configuration in {path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong, with the key.
        source: Box<toml::de::Error>,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads a TOML file; keys it does not set keep their defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: shown,
            source: Box::new(source),
        })
    }

    /// Checks values that would make the server misbehave.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if !self.ws_path.starts_with('/') {
            return invalid("ws_path must start with `/`");
        }
        if self.max_frame_bytes < 128 {
            return invalid("max_frame_bytes must be at least 128");
        }
        if self.max_calls_in_flight == 0 || self.max_opts_depth == 0 {
            return invalid("max_calls_in_flight and max_opts_depth must be at least 1");
        }
        if self.outbound_queue == 0 || self.outbound_queue_bytes == 0 {
            return invalid("outbound_queue and outbound_queue_bytes must be at least 1");
        }
        if self.write_timeout_secs == 0 {
            return invalid("write_timeout_secs must be positive");
        }
        if self.max_windows == 0 {
            return invalid("max_windows must be at least 1");
        }
        if self.history_size > 0 && (self.history_ttl_secs == 0 || self.recovery_max == 0) {
            return invalid(
                "with history_size above 0, history_ttl_secs and recovery_max must be positive",
            );
        }
        if self.window_ttl_secs == 0 || self.handler_timeout_ms == 0 {
            return invalid("window_ttl_secs and handler_timeout_ms must be positive");
        }
        if self.ping_interval_secs == 0 || self.client_timeout_secs <= self.ping_interval_secs {
            return invalid("client_timeout_secs must exceed ping_interval_secs, both positive");
        }
        if matches!(&self.api_key, Some(k) if k.len() < 16) {
            return invalid("api_key must be at least 16 characters");
        }
        match (&self.backend_url, &self.backend_key) {
            (Some(url), Some(key)) => {
                if !url.starts_with("http://") {
                    return invalid("backend_url must be an http:// URL");
                }
                if key.len() < 16 {
                    return invalid("backend_key must be at least 16 characters");
                }
            }
            (None, None) => {}
            _ => return invalid("backend_url and backend_key go together"),
        }
        let redis_url = |url: &str| {
            ["redis://", "rediss://", "redis+unix://", "unix://"]
                .iter()
                .any(|scheme| url.trim().starts_with(scheme))
        };
        if matches!(&self.redis_url, Some(urls) if !urls.split(',').all(redis_url)) {
            return invalid("redis_url must be a redis:// (or rediss://, unix://) URL");
        }
        for (name, queue) in &self.queues {
            if queue.concurrency == 0 {
                return Err(ConfigError::Invalid(format!(
                    "queue `{name}` needs a concurrency of at least 1"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn toml_overrides_defaults_and_rejects_unknown_keys() {
        let config: Config = toml::from_str(
            "bind = \"0.0.0.0:9000\"\n[queues.slow]\nconcurrency = 2\nbacklog = 10\n",
        )
        .unwrap();
        assert_eq!(config.bind, "0.0.0.0:9000");
        assert_eq!(config.queues["slow"].concurrency, 2);
        assert_eq!(config.ws_path, "/ws/");
        let err = toml::from_str::<Config>("bnid = 1").unwrap_err();
        assert!(err.to_string().contains("bnid"), "{err}");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = Config::default();
        assert_eq!(config.bind, "127.0.0.1:8000");
        assert_eq!(config.api_key, None);
        assert!(!config.demo);
        assert_eq!(config.log_format, LogFormat::Human);
        assert_eq!(config.ws_path, "/ws/");
        assert_eq!(config.window_ttl_secs, 36_000);
        assert_eq!(config.handler_timeout_ms, 30_000);
        assert_eq!(config.max_frame_bytes, 65_536);
        assert_eq!(config.outbound_queue, 1024);
        assert_eq!(config.outbound_queue_bytes, 1 << 20);
        assert_eq!(config.write_timeout_secs, 5);
        assert!(config.allowed_origins.is_empty());
        assert_eq!(config.max_api_body_bytes, 1_048_576);
        assert_eq!(config.client_timeout_secs, 60);
        assert_eq!(config.workers, 0);
        assert_eq!(config.calls_per_second, 50);
        assert_eq!(config.max_connections, 0);
        assert!(config.trusted_proxies.is_empty());
        assert_eq!(config.max_connections_per_ip, 0);
        assert_eq!(config.connections_per_second_per_ip, 0);
        assert_eq!(config.max_connections_per_user, 100);
        assert_eq!(config.max_windows, 1_000_000);
        assert!(config.queues.is_empty());
        assert_eq!(config.redis_url, None);
        assert_eq!(config.redis_prefix, "switchboard:");
        assert!(!config.redis_cluster);
        assert_eq!(config.history_size, 100);
        assert_eq!(config.history_ttl_secs, 300);
        assert_eq!(config.recovery_max, 300);
        assert_eq!(config.history_max_bytes, 64 << 20);
    }

    #[test]
    fn max_windows_must_be_positive() {
        let config = Config {
            max_windows: 0,
            ..Config::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("max_windows"), "{error}");
    }

    #[test]
    fn short_api_keys_are_refused() {
        let config = Config {
            api_key: Some("short".into()),
            ..Config::default()
        };
        assert!(config.validate().is_err());
    }
}
