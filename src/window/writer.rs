//! The writer of one connection: drains its outbox into the websocket, in order.

use std::time::Duration;

use actix_ws::{CloseCode, CloseReason, Session};

use crate::protocol::Disconnect;
use crate::topic::{OutboxReceiver, Outgoing};

/// How long a close frame may wait behind frames a slow client has not read yet. The window
/// leaves its topics at once; only this detached send lingers.
const CLOSE_GRACE: Duration = Duration::from_secs(10);

/// Writes queued frames until the outbox asks to close, every producer is gone, or the socket
/// fails. Returns the reason the connection was closed.
pub(super) async fn run(mut outgoing: OutboxReceiver, mut session: Session) -> Disconnect {
    loop {
        let frame = match outgoing.next().await {
            Outgoing::Frame(frame) => frame,
            Outgoing::Close(reason) => return close(session, reason).await,
            Outgoing::Finished => return close(session, Disconnect::Normal).await,
        };
        // A client that stopped reading blocks `text`; a close request must still get through.
        // The send goes first: it is ready at once unless the client has stopped reading,
        // and only then is the close request (a `Notified` registration) polled at all.
        tokio::select! {
            biased;
            sent = session.text(frame) => if sent.is_err() {
                return Disconnect::Normal;
            },
            reason = outgoing.close_requested() => return close(session, reason).await,
        }
    }
}

/// Sends the close frame in the background (it queues behind unread frames) and returns.
async fn close(session: Session, reason: Disconnect) -> Disconnect {
    let frame = CloseReason {
        code: CloseCode::from(reason.code()),
        description: Some(reason.reason().to_owned()),
    };
    actix::spawn(async move {
        // The peer may already be gone; either way the connection is over.
        let _ = tokio::time::timeout(CLOSE_GRACE, session.close(Some(frame))).await;
    });
    reason
}
