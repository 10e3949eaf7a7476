//! Configuration of a server: defaults, overridden by a TOML file, overridden by the command
//! line and the environment (`SWITCHBOARD_*`).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::signal::QueueConfig;

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

/// Everything a server can be configured with. Field names are the TOML keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// Enables the HTTP API (PROTOCOL.md §6) with this bearer key; without it the API is 404.
    pub api_key: Option<String>,
    /// Mounts the demo application at `/`.
    pub demo: bool,
    /// Log format.
    pub log_format: LogFormat,
    /// Path of the websocket endpoint.
    pub ws_path: String,
    /// Public base URL of the websocket endpoint (`wss://example.com/ws/`), for pages and API
    /// answers behind a proxy; derived from each request when unset.
    pub public_ws_url: Option<String>,
    /// Time-to-live of a window registration, in seconds.
    pub window_ttl_secs: u64,
    /// Time limit of a handler that declares none, in milliseconds.
    pub handler_timeout_ms: u64,
    /// Largest inbound message, in bytes, after reassembly of fragments (1009 beyond).
    pub max_frame_bytes: usize,
    /// Frames that may wait for one slow window before it is closed with 1013.
    pub outbound_queue: usize,
    /// Refuse upgrades with a missing, unknown or expired window key (403) instead of
    /// accepting them as anonymous windows.
    pub refuse_unknown_windows: bool,
    /// Origins allowed to open websockets (`https://example.com`); empty allows any.
    pub allowed_origins: Vec<String>,
    /// Largest HTTP API body, in bytes.
    pub max_api_body_bytes: usize,
    /// Seconds between server pings on an idle connection.
    pub ping_interval_secs: u64,
    /// Seconds without any frame from a client before its connection is closed.
    pub client_timeout_secs: u64,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// On SIGTERM/Ctrl-C, how long running handlers may take to finish before windows close.
    pub shutdown_timeout_secs: u64,
    /// Calls a window may make per second, on average (`rate_limited` beyond); 0 for no limit.
    pub calls_per_second: u32,
    /// Calls a window may make in a burst. A window that keeps calling while limited (as many
    /// refused calls as a burst, faster than the rate) is closed with 1008.
    pub call_burst: u32,
    /// Calls of one window running at once (`rate_limited` beyond).
    pub max_calls_in_flight: usize,
    /// Deepest nesting of a call's `opts` (`bad_frame` beyond).
    pub max_opts_depth: usize,
    /// Application topics a window may be in (registrations and changes beyond are refused).
    pub max_topics_per_window: usize,
    /// Simultaneous connections per client address (HTTP 429 beyond); 0 for no limit.
    pub max_connections_per_ip: usize,
    /// Simultaneous connections per user (HTTP 429 beyond); 0 for no limit.
    pub max_connections_per_user: usize,
    /// New connections per second per client address, on average; 0 for no limit.
    pub connections_per_second_per_ip: u32,
    /// New connections per client address in a burst.
    pub connection_burst_per_ip: u32,
    /// Limits per named handler queue (`[queues.slow] concurrency = 4`).
    pub queues: HashMap<String, QueueConfig>,
    /// Redis URL (`redis://host:6379/0`): nodes sharing it act as one server. Without it the
    /// in-memory broker serves one process.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel.
    pub redis_prefix: String,
    /// `redis_url` names seed nodes of a Redis Cluster, comma-separated: sharded pub/sub.
    pub redis_cluster: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8000".into(),
            api_key: None,
            demo: false,
            log_format: LogFormat::Human,
            ws_path: "/ws/".into(),
            public_ws_url: None,
            window_ttl_secs: 36_000,
            handler_timeout_ms: 30_000,
            max_frame_bytes: 64 * 1024,
            outbound_queue: 1024,
            refuse_unknown_windows: false,
            allowed_origins: Vec::new(),
            max_api_body_bytes: 1024 * 1024,
            ping_interval_secs: 20,
            client_timeout_secs: 60,
            workers: 0,
            shutdown_timeout_secs: 10,
            calls_per_second: 50,
            call_burst: 100,
            max_calls_in_flight: 32,
            max_opts_depth: 32,
            max_topics_per_window: 100,
            max_connections_per_ip: 1000,
            max_connections_per_user: 100,
            connections_per_second_per_ip: 20,
            connection_burst_per_ip: 100,
            queues: HashMap::new(),
            redis_url: None,
            redis_prefix: "switchboard:".into(),
            redis_cluster: false,
        }
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
        if self.outbound_queue == 0 {
            return invalid("outbound_queue must be at least 1");
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
    fn short_api_keys_are_refused() {
        let config = Config {
            api_key: Some("short".into()),
            ..Config::default()
        };
        assert!(config.validate().is_err());
    }
}
