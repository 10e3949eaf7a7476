//! Assembles a node: the broker's events feed a [`TopicRegistry`], the [`SignalRouter`]
//! dispatches, and actix-web serves the websocket endpoint, the HTTP API and the app's routes.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, Arbiter};
use actix_http::HttpService;
use actix_service::{map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, ServerHandle};
use actix_web::{web, App};

use crate::config::Config;
use crate::http::{self, AppFactory, AppState, TrustedProxies};
use crate::limit::{open_files, ConnectionLimits};
use crate::protocol::resync_frame;
use crate::signal::SignalRouter;
use crate::topic::{EvictAll, Eviction, History, TopicRegistry};
use crate::window;

/// How long a stopping node waits for its websockets to end once they were closed with 1001:
/// a connection that cannot take its close frame is reset after `window::CLOSE_GRACE` (2 s).
/// One that took it and still waits for its client to close (`window::LINGER`) is dropped
/// then: its client has its close frame.
const WINDOWS_STOP_GRACE: Duration = Duration::from_secs(2);

/// How long HTTP connections may take to end once the websockets have: beyond it actix-web
/// drops every connection left (half-sent requests; idle keep-alive connections end at
/// once). A stop takes at most `shutdown_timeout_secs` (for running handlers), plus
/// [`WINDOWS_STOP_GRACE`], plus this: 3 s after the 1001 close frames (PROTOCOL.md §5.5).
const HTTP_STOP_GRACE_SECS: u64 = 1;

/// How often a stopping node looks whether its websockets have ended.
const WINDOWS_POLL: Duration = Duration::from_millis(20);

/// Connections the kernel may hold for the node before it accepts them (as actix-web). The
/// standard library's listeners allow 128: a burst of reconnecting windows overflows that,
/// and the overflow waits for SYN retransmissions (a second or more).
const BACKLOG: i32 = 1024;

/// How long a client may take to send a request's head (408 beyond; as actix-web).
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the server waits for a client to close its side once a connection is done, so
/// that an answer is not reset before the client has read it (as actix-web).
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

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
    /// The node's websockets.
    connections: ConnectionLimits,
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
    ///
    /// # Errors
    /// An [`io::ErrorKind::InvalidInput`] naming the option when the configuration fails
    /// [`Config::validate`] (as `switchboard serve` refuses it), or the error of binding.
    pub fn start(self) -> io::Result<RunningServer> {
        self.config
            .validate()
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        let config = Arc::new(self.config);
        let windows = self.router.windows().clone();
        let metrics = self.router.metrics().clone();
        let registry = TopicRegistry::new(windows.broker().clone(), metrics.clone(), resync_frame);
        // Connections join and leave through the handle, on their own threads; the in-memory
        // broker delivers on the publisher's. The registry's own thread applies what a broker
        // sends on its stream (Redis), and answers the API's questions.
        let membership = registry.handle();
        let registry = TopicRegistry::start_in_arbiter(&Arbiter::new().handle(), |_| registry);
        let history = History::new(windows.broker().clone(), metrics.clone());
        let connections = ConnectionLimits::new(
            max_connections(&config),
            config.max_connections_per_ip,
            config.max_connections_per_user,
            f64::from(config.connections_per_second_per_ip),
            f64::from(config.connection_burst_per_ip),
        );
        let window_services = Arc::new(window::Services {
            router: self.router.clone(),
            windows: windows.clone(),
            registry: membership,
            history: history.clone(),
            metrics: metrics.clone(),
            settings: window_settings(&config),
        });
        let state = web::Data::new(AppState {
            router: self.router.clone(),
            windows,
            metrics,
            registry: registry.clone(),
            history,
            connections: connections.clone(),
            trusted_proxies: TrustedProxies::new(&config.trusted_proxies),
            window_services,
            config: config.clone(),
        });
        let routes = http::configure(&config);
        let app = self.app;
        // The node's application, once per worker for ordinary requests and once for the
        // upgrade service.
        let make_app = move || -> AppFactory {
            let app_routes = app.clone();
            actix_service::boxed::factory(
                App::new()
                    .app_data(state.clone())
                    .configure(routes.clone())
                    .configure(move |cfg| {
                        if let Some(routes) = &app_routes {
                            routes(cfg);
                        }
                    })
                    .into_factory(),
            )
        };
        let listeners = listeners(&config.bind)?;
        let addr = listeners[0].local_addr()?;
        let mut builder = actix_server::Server::build()
            .disable_signals()
            .shutdown_timeout(HTTP_STOP_GRACE_SECS);
        if config.workers > 0 {
            builder = builder.workers(config.workers);
        }
        let stopping = builder.graceful_shutdown_signal();
        for listener in listeners {
            let addr = listener.local_addr()?;
            let stopping = stopping.clone();
            let make_app = make_app.clone();
            builder = builder.listen("switchboard", listener, move || {
                // What actix-web's own server gives its apps (the host for requests without a
                // `Host` header, the local address). Its constructor is crate-private;
                // `__priv_test_new` is the same one, public for actix-test (the lockfile pins
                // the version it was checked against).
                let app_config = AppConfig::__priv_test_new(false, addr.to_string(), addr);
                let stopping = stopping.clone();
                let app = make_app.clone();
                HttpService::build()
                    .client_request_timeout(REQUEST_HEAD_TIMEOUT)
                    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                    // A push server writes small frames that must leave at once; with Nagle
                    // on, a frame written while an earlier one awaits its ACK waits for the
                    // peer's delayed ACK (up to 40 ms on Linux).
                    .tcp_nodelay(true)
                    .local_addr(addr)
                    // Idle keep-alive connections end as soon as the server stops.
                    .graceful_shutdown_signal(move || {
                        let stopping = stopping.clone();
                        async move { stopping.notified().await }
                    })
                    .upgrade(http::upgrade_service(app.clone(), app_config.clone()))
                    .finish(map_config(
                        app().map_err(|error| error.error_response()),
                        move |_| app_config.clone(),
                    ))
                    .tcp()
            })?;
        }
        let server = builder.run();
        Ok(RunningServer {
            addr,
            router: self.router,
            registry,
            connections,
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
            connections: self.connections.clone(),
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
    /// The node's websockets, to wait for their close frames.
    connections: ConnectionLimits,
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
        // Websockets are tasks of their own, which the HTTP server does not wait for: let
        // them write their close frames before it stops.
        let closing = std::time::Instant::now();
        while self.connections.held() > 0 && closing.elapsed() < WINDOWS_STOP_GRACE {
            tokio::time::sleep(WINDOWS_POLL).await;
        }
        if self.connections.held() > 0 {
            tracing::warn!(
                connections = self.connections.held(),
                "websockets still open after the stop grace"
            );
        }
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

/// The per-connection limits and timings of `config`.
fn window_settings(config: &Config) -> window::WindowSettings {
    window::WindowSettings {
        max_frame_bytes: config.max_frame_bytes,
        outbound_queue: config.outbound_queue,
        outbound_queue_bytes: config.outbound_queue_bytes,
        write_timeout: Duration::from_secs(config.write_timeout_secs),
        ping_interval: Duration::from_secs(config.ping_interval_secs),
        client_timeout: Duration::from_secs(config.client_timeout_secs),
        calls_per_second: f64::from(config.calls_per_second),
        call_burst: f64::from(config.call_burst),
        max_calls_in_flight: config.max_calls_in_flight,
        max_opts_depth: config.max_opts_depth,
    }
}

/// Listening sockets for every address `bind` resolves to, with address reuse (a restarted
/// node binds at once) and a backlog of [`BACKLOG`].
fn listeners(bind: &str) -> io::Result<Vec<std::net::TcpListener>> {
    use std::net::ToSocketAddrs;
    let mut listeners = Vec::new();
    for addr in bind.to_socket_addrs()? {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(BACKLOG)?;
        listeners.push(socket.into());
    }
    if listeners.is_empty() {
        return Err(io::Error::other(format!("{bind} resolves to no address")));
    }
    Ok(listeners)
}
