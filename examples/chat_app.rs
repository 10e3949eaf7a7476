//! A minimal web application on Switchboard: a page registers its window in a room, a signal
//! handler relays chat messages to the room, and a view pushes to the calling user.
//!
//! Run with `cargo run --example chat_app`, then open http://127.0.0.1:8080 in two tabs.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use switchboard::config::Config;
use switchboard::http::{ApiError, CallingWindow, PageWindow};
use switchboard::{signal, Server, SignalContext, SignalError, SignalRouter, To, User, WindowInfo};

/// Relays a chat message to everyone in the room. Browsers may call it when logged in.
#[signal(path = "chat.send", allowed = authenticated)]
async fn send(ctx: SignalContext, room: String, text: String) -> Result<(), SignalError> {
    let from = ctx.user().map(|u| u.username.clone());
    let room = To::topic(format!("room:{room}"))?;
    ctx.trigger("chat.message", room, json!({ "from": from, "text": text }))
        .await?;
    Ok(())
}

/// The page: registers this tab's window, for user 42, in the room `lobby`.
async fn page(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let user = User {
        id: "42".into(),
        username: "alice".into(),
        ..User::default()
    };
    let info = WindowInfo {
        user: Some(user),
        ..WindowInfo::default()
    };
    let window = PageWindow::register(&req, info, ["room:lobby"]).await?;
    let mut response = HttpResponse::Ok();
    window.set_cookies(&mut response);
    Ok(response.content_type("text/html").body(format!(
        r#"<!doctype html><head>{meta}<script src="/static/switchboard.js"></script></head>
<body><script>
DFSignals.connect("chat.message", (opts) => console.log(opts.from, opts.text));
DFSignals.call("chat.send", {{room: "lobby", text: "hello"}});
</script></body>"#,
        meta = window.meta_tags()
    )))
}

/// A view the page calls with `fetch` (header `X-Window-Key`): pushes to the caller's user.
async fn announce(window: CallingWindow) -> Result<HttpResponse, ApiError> {
    let opts = json!({ "from": "server", "text": "saved!" });
    window.trigger("chat.message", To::User, opts).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let router = SignalRouter::builder()
        .signal(send)
        .build()
        .expect("valid handlers");
    let config = Config {
        bind: "127.0.0.1:8080".into(),
        ..Config::default()
    };
    let server = Server::new(config, router)
        .app(|cfg| {
            cfg.route("/", web::get().to(page))
                .route("/announce", web::post().to(announce));
        })
        .start()?;
    println!("listening on http://{}", server.local_addr());
    // Server code triggers from anywhere with the router.
    let hello = json!({ "from": "server", "text": "up and running" });
    server
        .router()
        .trigger((), "chat.message", To::Broadcast, hello)
        .await
        .expect("the in-memory broker accepts triggers");
    server.wait().await
}
