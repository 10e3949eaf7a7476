//! The `switchboard` binary: `switchboard serve` runs a node.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use switchboard::__private::demo;
use switchboard::broker::{RedisBroker, RedisConfig};
use switchboard::config::{Config, LogFormat, ServeArgs};
use switchboard::{Metrics, RouterSettings, Server, SignalRouter};

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
            history: RouterSettings::from(&config).history,
            max_windows: config.max_windows,
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
    // Tests and scripts wait for this exact line. When nobody reads it (stdout closed, as
    // some supervisors leave it) the server serves all the same: `println!` would panic.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on http://{}", running.local_addr())
        .and_then(|()| stdout.flush());
    drop(stdout);
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
    // The matches, not just the parsed values: they tell which options were given, which
    // decides whether they override the config file.
    let matches = Cli::command().get_matches();
    let Some(("serve", options)) = matches.subcommand() else {
        unreachable!("clap requires a subcommand, and `serve` is the only one");
    };
    let config = match ServeArgs::resolve(options) {
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
