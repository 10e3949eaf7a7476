//! Assembles a node: the broker's events feed a [`TopicRegistry`], the [`SignalRouter`]
//! dispatches, and actix-web serves the websocket endpoint, the HTTP API and the app's routes.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use actix::{Actor, Addr, Arbiter};
use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};

use crate::config::Config;
use crate::http::{self, AppState, TrustedProxies};
use crate::limit::{open_files, ConnectionLimits};
use crate::protocol::resync_frame;
use crate::signal::SignalRouter;
use crate::topic::{EvictAll, Eviction, History, TopicRegistry};
use crate::window::SocketFd;

/// How long connections may take to end once the server stops, after the windows were
/// closed with 1001: enough for close frames and a reset of the connections that cannot take
/// theirs (`window::CLOSE_GRACE`, 2 s); beyond it actix-web drops every connection left (idle
/// keep-alive connections, half-sent requests). A stop takes at most `shutdown_timeout_secs`
/// (for running handlers) plus this.
const STOP_GRACE_SECS: u64 = 3;

/// Routes an application adds next to Switchboard's own.
type AppRoutes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A node, configured but not yet listening.
pub struct Server {
    /// Listening address, limits, API key, ...
    config: Config,
    /// Handlers and broker.
    router: SignalRouter,
    /// The application's own routes (views that register windows, ...).
    app: Option<AppRoutes>,
}

/// A node that is listening.
pub struct RunningServer {
    /// The bound address (the real port when configured with port 0).
    addr: SocketAddr,
    /// The router, to trigger from outside handlers.
    router: SignalRouter,
    /// This node's topic registry.
    registry: Addr<TopicRegistry>,
    /// Stops the HTTP server.
    handle: ServerHandle,
    /// The HTTP server future; resolves when it stops.
    server: actix_web::dev::Server,
}

impl Server {
    /// A node serving `router` with `config`.
    pub fn new(config: Config, router: SignalRouter) -> Server {
        Server {
            config,
            router,
            app: None,
        }
    }

    /// Adds the application's routes (called once per HTTP worker).
    pub fn app(mut self, routes: impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static) -> Self {
        self.app = Some(Arc::new(routes));
        self
    }

    /// Starts the registry and binds the HTTP server. Must run inside an actix system
    /// (`#[actix_web::main]`, `actix_rt::System`).
    pub fn start(self) -> io::Result<RunningServer> {
        let config = Arc::new(self.config);
        let windows = self.router.windows().clone();
        let metrics = self.router.metrics().clone();
        let registry = TopicRegistry::new(windows.broker().clone(), metrics.clone(), resync_frame);
        // The registry gets a thread of its own: fan-out never competes with connection I/O.
        let registry = TopicRegistry::start_in_arbiter(&Arbiter::new().handle(), |_| registry);
        let history = History::new(windows.broker().clone(), metrics.clone());
        let state = web::Data::new(AppState {
            router: self.router.clone(),
            windows,
            metrics,
            registry: registry.clone(),
            history,
            connections: ConnectionLimits::new(
                max_connections(&config),
                config.max_connections_per_ip,
                config.max_connections_per_user,
                f64::from(config.connections_per_second_per_ip),
                f64::from(config.connection_burst_per_ip),
            ),
            trusted_proxies: TrustedProxies::new(&config.trusted_proxies),
            config: config.clone(),
        });
        let routes = http::configure(&config);
        let app = self.app;
        let mut server = HttpServer::new(move || {
            let app_routes = app.clone();
            App::new()
                .app_data(state.clone())
                .configure(routes.clone())
                .configure(move |cfg| {
                    if let Some(routes) = &app_routes {
                        routes(cfg);
                    }
                })
        })
        .disable_signals()
        .shutdown_timeout(STOP_GRACE_SECS)
        .on_connect(on_connect);
        if config.workers > 0 {
            server = server.workers(config.workers);
        }
        let server = server.bind(&config.bind)?;
        let addr = *server
            .addrs()
            .first()
            .ok_or_else(|| io::Error::other("bound to no address"))?;
        let server = server.run();
        Ok(RunningServer {
            addr,
            router: self.router,
            registry,
            handle: server.handle(),
            server,
        })
    }
}

impl RunningServer {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The router, for triggers from outside handlers.
    pub fn router(&self) -> &SignalRouter {
        &self.router
    }

    /// This node's topic registry (for tests that inspect memberships).
    #[doc(hidden)]
    pub fn registry(&self) -> &Addr<TopicRegistry> {
        &self.registry
    }

    /// A handle that stops the server at once; see [`RunningServer::shutdown_handle`] for a
    /// graceful stop.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// A handle for a graceful shutdown, usable from another task.
    pub fn shutdown_handle(&self) -> Shutdown {
        Shutdown {
            router: self.router.clone(),
            registry: self.registry.clone(),
            handle: self.handle.clone(),
        }
    }

    /// Serves until the server is stopped.
    pub async fn wait(self) -> io::Result<()> {
        self.server.await
    }
}

/// Stops a node gracefully: stop accepting connections, let running handlers finish (their
/// replies still reach their windows) within a deadline, close every window with 1001 so
/// clients reconnect elsewhere, then stop the HTTP server.
#[derive(Clone)]
pub struct Shutdown {
    /// To wait for running handlers.
    router: SignalRouter,
    /// To close every window.
    registry: Addr<TopicRegistry>,
    /// To stop accepting and then stop.
    handle: ServerHandle,
}

impl Shutdown {
    /// Runs the shutdown; returns whether every running handler finished within `deadline`.
    pub async fn run(&self, deadline: std::time::Duration) -> bool {
        self.handle.pause().await;
        let running = self.router.running_handlers();
        let finished = self.router.drain(deadline).await;
        if !finished {
            tracing::warn!(
                running = self.router.running_handlers(),
                "handlers still running at the shutdown deadline"
            );
        } else if running > 0 {
            tracing::info!(running, "running handlers finished");
        }
        let _ = self.registry.send(EvictAll(Eviction::Shutdown)).await;
        self.handle.stop(true).await;
        finished
    }
}

/// The node's connection cap: as configured, or derived from the open-file limit (which is
/// raised to its hard limit first) when `max_connections` is 0.
fn max_connections(config: &Config) -> usize {
    if config.max_connections > 0 {
        return config.max_connections;
    }
    let open_files = open_files::raise_soft_limit().unwrap_or(1024);
    let max = open_files::derived_max_connections(open_files);
    tracing::info!(
        open_files,
        max_connections = max,
        "connection cap derived from the open-file limit"
    );
    max
}

/// Prepares every accepted socket:
///
/// - turns Nagle's algorithm off. A push server writes small frames that must leave at once;
///   with Nagle on, a frame written while an earlier one awaits its ACK waits for the peer's
///   delayed ACK (up to 40 ms on Linux). actix-web leaves the setting to the OS default (on);
/// - records its descriptor, so that a websocket whose client takes no bytes can be reset
///   once closed (`window::SocketFd`).
fn on_connect(connection: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        let _ = stream.set_nodelay(true);
        data.insert(SocketFd(std::os::fd::AsRawFd::as_raw_fd(stream)));
    }
}
