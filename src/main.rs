//! The `switchboard` binary: `switchboard serve` runs a node.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use switchboard::__private::demo;
use switchboard::broker::{RedisBroker, RedisConfig};
use switchboard::config::{Config, LogFormat};
use switchboard::{Metrics, QueueConfig, RouterSettings, Server, SignalRouter};

/// A real-time signal and topic server: browser windows and server code exchange named
/// signals over websockets (PROTOCOL.md).
#[derive(Parser)]
#[command(name = "switchboard", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a server node.
    Serve(ServeArgs),
}

/// Options of `serve`. Each overrides the config file; each can also come from the
/// environment variable shown.
#[derive(Args)]
struct ServeArgs {
    /// TOML configuration file (keys are the field names of `Config`, see the README).
    #[arg(long, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free one) [default: 127.0.0.1:8000].
    #[arg(long, env = "SWITCHBOARD_BIND")]
    bind: Option<String>,
    /// Enables the HTTP API with this bearer key (at least 16 characters).
    #[arg(long, env = "SWITCHBOARD_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Mounts the demo application at `/`.
    #[arg(long, env = "SWITCHBOARD_DEMO")]
    demo: bool,
    /// Log format [default: human].
    #[arg(long, env = "SWITCHBOARD_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// Websocket endpoint path [default: /ws/].
    #[arg(long, env = "SWITCHBOARD_WS_PATH")]
    ws_path: Option<String>,
    /// Public websocket URL given to pages (e.g. wss://example.com/ws/) when behind a proxy.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_WS_URL")]
    public_ws_url: Option<String>,
    /// Time-to-live of window registrations, in seconds [default: 36000].
    #[arg(long, env = "SWITCHBOARD_WINDOW_TTL_SECS")]
    window_ttl_secs: Option<u64>,
    /// Default handler time limit, in milliseconds [default: 30000].
    #[arg(long, env = "SWITCHBOARD_HANDLER_TIMEOUT_MS")]
    handler_timeout_ms: Option<u64>,
    /// Largest inbound websocket message, in bytes [default: 65536].
    #[arg(long, env = "SWITCHBOARD_MAX_FRAME_BYTES")]
    max_frame_bytes: Option<usize>,
    /// Frames queued for one window before it is closed as too slow [default: 1024].
    #[arg(long, env = "SWITCHBOARD_OUTBOUND_QUEUE")]
    outbound_queue: Option<usize>,
    /// Refuse websocket upgrades without a live window key (HTTP 403).
    #[arg(long, env = "SWITCHBOARD_REFUSE_UNKNOWN_WINDOWS")]
    refuse_unknown_windows: bool,
    /// Allowed websocket origin (repeat, or comma-separated in the environment).
    #[arg(
        long = "allowed-origin",
        env = "SWITCHBOARD_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// Redis URL (redis://host:6379/0): nodes sharing it act as one server [default: none,
    /// the in-memory broker].
    #[arg(long = "redis", env = "SWITCHBOARD_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// The Redis URL names seed nodes of a Redis Cluster (comma-separated): use sharded
    /// pub/sub.
    #[arg(long, env = "SWITCHBOARD_REDIS_CLUSTER")]
    redis_cluster: bool,
    /// Prefix of Redis keys and channels [default: switchboard:].
    #[arg(long, env = "SWITCHBOARD_REDIS_PREFIX")]
    redis_prefix: Option<String>,
    /// HTTP worker threads; 0 = one per core [default: 0].
    #[arg(long, env = "SWITCHBOARD_WORKERS")]
    workers: Option<usize>,
    /// Seconds running handlers may take to finish on SIGTERM/Ctrl-C [default: 10].
    #[arg(long, env = "SWITCHBOARD_SHUTDOWN_TIMEOUT_SECS")]
    shutdown_timeout_secs: Option<u64>,
    /// Calls per second a window may make on average; 0 = no limit [default: 50].
    #[arg(long, env = "SWITCHBOARD_CALLS_PER_SECOND")]
    calls_per_second: Option<u32>,
    /// Calls a window may make in a burst [default: 100].
    #[arg(long, env = "SWITCHBOARD_CALL_BURST")]
    call_burst: Option<u32>,
    /// Calls of one window running at once [default: 32].
    #[arg(long, env = "SWITCHBOARD_MAX_CALLS_IN_FLIGHT")]
    max_calls_in_flight: Option<usize>,
    /// Deepest nesting of a call's opts [default: 32].
    #[arg(long, env = "SWITCHBOARD_MAX_OPTS_DEPTH")]
    max_opts_depth: Option<usize>,
    /// Application topics a window may be in [default: 100].
    #[arg(long, env = "SWITCHBOARD_MAX_TOPICS_PER_WINDOW")]
    max_topics_per_window: Option<usize>,
    /// Simultaneous connections per client address; 0 = no limit [default: 1000].
    #[arg(long, env = "SWITCHBOARD_MAX_CONNECTIONS_PER_IP")]
    max_connections_per_ip: Option<usize>,
    /// Simultaneous connections per user; 0 = no limit [default: 100].
    #[arg(long, env = "SWITCHBOARD_MAX_CONNECTIONS_PER_USER")]
    max_connections_per_user: Option<usize>,
    /// New connections per second per client address; 0 = no limit [default: 20].
    #[arg(long, env = "SWITCHBOARD_CONNECTIONS_PER_SECOND_PER_IP")]
    connections_per_second_per_ip: Option<u32>,
    /// New connections per client address in a burst [default: 100].
    #[arg(long, env = "SWITCHBOARD_CONNECTION_BURST_PER_IP")]
    connection_burst_per_ip: Option<u32>,
    /// Largest HTTP API body, in bytes [default: 1048576].
    #[arg(long, env = "SWITCHBOARD_MAX_API_BODY_BYTES")]
    max_api_body_bytes: Option<usize>,
    /// Seconds between server pings [default: 20].
    #[arg(long, env = "SWITCHBOARD_PING_INTERVAL_SECS")]
    ping_interval_secs: Option<u64>,
    /// Seconds of client silence before its connection is closed [default: 60].
    #[arg(long, env = "SWITCHBOARD_CLIENT_TIMEOUT_SECS")]
    client_timeout_secs: Option<u64>,
    /// Handler queue limits, NAME=CONCURRENCY[/BACKLOG] (repeat, or comma-separated in the
    /// environment), e.g. `slow=4/100`.
    #[arg(long = "queue", env = "SWITCHBOARD_QUEUES", value_delimiter = ',', value_parser = parse_queue)]
    queues: Vec<(String, QueueConfig)>,
}

/// Parses `NAME=CONCURRENCY[/BACKLOG]`.
fn parse_queue(text: &str) -> Result<(String, QueueConfig), String> {
    let (name, limits) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected NAME=CONCURRENCY[/BACKLOG]"))?;
    let (concurrency, backlog) = match limits.split_once('/') {
        Some((c, b)) => (c, Some(b)),
        None => (limits, None),
    };
    let number = |s: &str| {
        s.parse::<usize>()
            .map_err(|e| format!("`{text}`: `{s}` is not a count ({e})"))
    };
    let mut queue = QueueConfig {
        concurrency: number(concurrency)?,
        ..QueueConfig::default()
    };
    if let Some(backlog) = backlog {
        queue.backlog = number(backlog)?;
    }
    Ok((name.to_owned(), queue))
}

impl ServeArgs {
    /// The file's configuration (or the defaults) with every given option applied.
    fn into_config(self) -> Result<Config, String> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path).map_err(|e| e.to_string())?,
            None => Config::default(),
        };
        macro_rules! apply {
            ($($field:ident),*) => {$(
                if let Some(value) = self.$field { config.$field = value; }
            )*};
        }
        apply!(
            bind,
            log_format,
            ws_path,
            window_ttl_secs,
            handler_timeout_ms,
            max_frame_bytes,
            outbound_queue,
            workers,
            shutdown_timeout_secs,
            calls_per_second,
            call_burst,
            max_calls_in_flight,
            max_opts_depth,
            max_topics_per_window,
            max_connections_per_ip,
            max_connections_per_user,
            connections_per_second_per_ip,
            connection_burst_per_ip,
            max_api_body_bytes,
            ping_interval_secs,
            client_timeout_secs,
            redis_prefix
        );
        if self.redis_url.is_some() {
            config.redis_url = self.redis_url;
        }
        config.queues.extend(self.queues);
        if self.api_key.is_some() {
            config.api_key = self.api_key;
        }
        if self.public_ws_url.is_some() {
            config.public_ws_url = self.public_ws_url;
        }
        config.demo |= self.demo;
        config.redis_cluster |= self.redis_cluster;
        config.refuse_unknown_windows |= self.refuse_unknown_windows;
        if !self.allowed_origins.is_empty() {
            config.allowed_origins = self.allowed_origins;
        }
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("cannot listen for SIGTERM");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn serve(config: Config) -> Result<(), String> {
    let metrics = Arc::new(Metrics::new());
    let mut builder = SignalRouter::builder()
        .settings(RouterSettings::from(&config))
        .metrics(metrics.clone());
    if let Some(url) = &config.redis_url {
        let redis = RedisConfig {
            url: url.clone(),
            prefix: config.redis_prefix.clone(),
            cluster: config.redis_cluster,
        };
        let broker = RedisBroker::connect(redis, metrics)
            .await
            .map_err(|e| format!("cannot use Redis at {url}: {e}"))?;
        builder = builder.broker(broker);
    }
    if config.demo {
        builder = demo::signals(builder);
    }
    let router = builder.build().map_err(|e| e.to_string())?;
    let broker = router.windows().broker_kind();
    let mut server = Server::new(config.clone(), router);
    if config.demo {
        server = server.app(demo::routes);
    }
    let running = server
        .start()
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    // Tests and scripts wait for this exact line.
    println!("listening on http://{}", running.local_addr());
    tracing::info!(
        addr = %running.local_addr(),
        broker,
        demo = config.demo,
        api = config.api_key.is_some(),
        "switchboard ready"
    );
    let shutdown = running.shutdown_handle();
    let deadline = Duration::from_secs(config.shutdown_timeout_secs);
    actix_web::rt::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: letting running handlers finish, then closing windows");
        shutdown.run(deadline).await;
    });
    running.wait().await.map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

fn main() -> ExitCode {
    let Cli {
        command: Command::Serve(args),
    } = Cli::parse();
    let config = match args.into_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("switchboard: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    match actix_web::rt::System::new().block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e}");
            ExitCode::FAILURE
        }
    }
}
