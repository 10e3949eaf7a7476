//! The node's upgrade service: websocket handshakes leave actix-http's HTTP/1 dispatcher.
//!
//! actix-http hands every request that asks for a websocket upgrade, with its connection,
//! to this service instead of its own dispatch loop. The service still answers it with the
//! node's actix-web application (same routes, same handlers, same checks), then:
//!
//! - when the websocket endpoint accepted it (a 101 carrying a [`window::Accepted`]), it
//!   encodes the 101 and hands the bare socket over to [`window::serve`]. The dispatcher's
//!   two 8 KiB buffers (read and write) are dropped on the spot: an idle websocket then holds
//!   no buffer at all, where inside the dispatcher it held both for its whole life;
//! - otherwise (a refusal, another path, a route that does not upgrade), it writes the answer
//!   and closes the connection.
//!
//! The websocket then runs as a task of its own (the window and its writer), and the HTTP
//! connection ends: its dispatcher and the futures around it (about 4 KiB) are freed. The
//! HTTP server no longer counts the connection; the node does (its connection guard lives in
//! the writer), and a graceful stop waits for it before stopping the HTTP server
//! ([`crate::Shutdown`]).

use std::future::poll_fn;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use actix_codec::{Encoder, Framed, FramedParts};
use actix_http::body::{BodySize, BoxBody, MessageBody};
use actix_http::h1::{Codec, Message};
use actix_http::{ConnectionType, Request, Response, StatusCode};
use actix_service::boxed::BoxServiceFactory;
use actix_service::{fn_factory, fn_service, Service, ServiceFactory};
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::web::BytesMut;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::SinkExt;
use serde_json::json;
use tokio::net::TcpStream;

use crate::window;

/// How long an answer that does not upgrade may take to be written before the connection is
/// dropped (a client that reads nothing).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The node's application, boxed: one is built per worker for ordinary requests, and one
/// for the upgrade service.
pub(crate) type AppFactory =
    BoxServiceFactory<AppConfig, Request, ServiceResponse, actix_web::Error, ()>;

/// Marks a request that came through the upgrade service, whose socket can be handed over
/// (a request extension; the websocket endpoint refuses handshakes without it).
pub(crate) struct HandedOver;

/// The upgrade service of a worker, answering with the application `app` builds.
pub(crate) fn service(
    app: impl Fn() -> AppFactory + 'static,
    config: AppConfig,
) -> impl ServiceFactory<
    (Request, Framed<TcpStream, Codec>),
    Config = (),
    Response = (),
    Error = actix_web::Error,
    InitError = (),
> {
    fn_factory(move || {
        let factory = app();
        let config = config.clone();
        async move {
            let app = Rc::new(factory.new_service(config).await?);
            Ok::<_, ()>(fn_service(
                move |(req, framed): (Request, Framed<TcpStream, Codec>)| {
                    upgrade(app.clone(), req, framed)
                },
            ))
        }
    })
}

/// Answers one upgrade request, and serves the websocket when it was accepted.
async fn upgrade<S>(
    app: Rc<S>,
    req: Request,
    framed: Framed<TcpStream, Codec>,
) -> Result<(), actix_web::Error>
where
    S: Service<Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    req.extensions_mut().insert(HandedOver);
    let mut response = match app.call(req).await {
        Ok(response) => response.into_parts().1,
        Err(error) => error.error_response(),
    };
    let accepted = response.extensions_mut().remove::<window::Accepted>();
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        let Some(accepted) = accepted else {
            // A route of the application answered 101 itself: it cannot have the connection.
            tracing::error!(
                "an upgrade was answered outside the websocket endpoint; refused with 500"
            );
            response = HttpResponse::InternalServerError().json(json!({"error": {
                "code": "internal", "message": "only the websocket endpoint upgrades connections"
            }}));
            refuse(framed, response).await;
            return Ok(());
        };
        let FramedParts {
            io,
            mut codec,
            read_buf,
            ..
        } = framed.into_parts();
        let mut handshake = BytesMut::new();
        let head = Response::from(response).drop_body();
        codec.encode(Message::Item((head, BodySize::None)), &mut handshake)?;
        // The dispatcher's buffers end here; only the bytes the client sent after its
        // handshake (if any) are copied, at their own size.
        // The websocket becomes a task of its own, and this HTTP connection (the dispatcher
        // and this future, a few KiB) ends here.
        actix_web::rt::spawn(window::serve(io, handshake.freeze(), &read_buf, accepted));
        return Ok(());
    }
    refuse(framed, response).await;
    Ok(())
}

/// Writes an answer that does not upgrade with `Connection: close`, then closes the
/// connection; a client that reads nothing is dropped after [`ANSWER_TIMEOUT`].
async fn refuse(framed: Framed<TcpStream, Codec>, response: HttpResponse) {
    let (mut head, body) = Response::from(response).into_parts();
    head.head_mut().set_connection_type(ConnectionType::Close);
    match tokio::time::timeout(ANSWER_TIMEOUT, write(framed, head, body)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "an answer to an upgrade request failed"),
        Err(_) => tracing::debug!("an answer to an upgrade request timed out"),
    }
}

/// Writes `head` and `body`, in one write when the body is small (some clients read only
/// the first segment of a refusal), then ends the connection.
async fn write(
    mut framed: Framed<TcpStream, Codec>,
    head: Response<()>,
    body: BoxBody,
) -> io::Result<()> {
    let size = body.size();
    framed.feed(Message::Item((head, size))).await?;
    if size != BodySize::None {
        let mut body = pin!(body);
        while let Some(chunk) = poll_fn(|cx| body.as_mut().poll_next(cx)).await {
            let chunk = chunk.map_err(|error| io::Error::other(error.to_string()))?;
            framed.feed(Message::Chunk(Some(chunk))).await?;
        }
        framed.feed(Message::Chunk(None)).await?;
    }
    // `Framed::close` ends the socket without writing what is buffered: flush first.
    framed.flush().await?;
    framed.close().await
}
