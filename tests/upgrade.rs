//! The upgrade service (`src/http/upgrade.rs`): every request that asks for a websocket
//! reaches it with its connection. An accepted window gets the bare socket, including the
//! bytes its client sent right behind the handshake; anything else is answered by the app
//! and the connection is closed.

mod common;

use std::net::SocketAddr;

use actix_web::{web, HttpResponse};
use common::raw::{handshake, read_more, upgrade};
use common::WAIT;
use serde_json::{json, Value};
use switchboard::{Server, SignalRouter};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// A masked text frame, as a client sends it (payloads under 126 bytes).
fn client_text(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// Reads to the end of the connection (it must end within the wait).
async fn read_to_end(tcp: &mut TcpStream, mut received: Vec<u8>) -> Vec<u8> {
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut received))
        .await
        .expect("the server closes the connection")
        .unwrap();
    received
}

/// The next server text frame (unmasked, short) from `received`, reading more as needed.
async fn server_text(tcp: &mut TcpStream, received: &mut Vec<u8>) -> Value {
    loop {
        if received.len() >= 2 && received.len() >= 2 + usize::from(received[1] & 0x7f) {
            let len = usize::from(received[1] & 0x7f);
            assert_eq!(received[0], 0x81, "a final text frame");
            let payload: Vec<u8> = received.drain(..2 + len).skip(2).collect();
            return serde_json::from_slice(&payload).unwrap();
        }
        read_more(tcp, received).await;
    }
}

/// A node serving the demo's signals and one app route that answers upgrades itself.
fn start() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let router = switchboard::__private::demo::signals(SignalRouter::builder())
                .build()
                .unwrap();
            let running = Server::new(common::config(), router)
                .app(|cfg| {
                    cfg.route(
                        "/own-upgrade",
                        web::get().to(|| async { HttpResponse::SwitchingProtocols().finish() }),
                    );
                })
                .start()
                .unwrap();
            tx.send(running.local_addr()).unwrap();
            let _ = running.wait().await;
        });
    });
    rx.recv().unwrap()
}

#[tokio::test]
async fn a_frame_sent_with_the_handshake_is_read() {
    let addr = start();
    // The handshake and a call in one write: the call arrives with the request, in the
    // HTTP server's read buffer, before the socket is handed over.
    let mut bytes = handshake("/ws/").into_bytes();
    bytes.extend(client_text(
        br#"{"signal":"demo.add","opts":{"a":1,"b":2},"id":"with-the-handshake"}"#,
    ));
    let (mut tcp, head, mut rest) = upgrade(addr, &bytes).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let reply = server_text(&mut tcp, &mut rest).await;
    assert_eq!(reply["reply_to"], json!("with-the-handshake"), "{reply}");
    assert_eq!(reply["result"], json!(3), "{reply}");
}

#[tokio::test]
async fn an_upgrade_elsewhere_gets_the_app_s_answer_and_the_connection_ends() {
    let addr = start();
    let (mut tcp, head, rest) = upgrade(addr, handshake("/healthz").as_bytes()).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    let body = read_to_end(&mut tcp, rest).await;
    assert!(!body.is_empty(), "the health answer has its body");

    let (mut tcp, head, rest) = upgrade(addr, handshake("/no/such/path").as_bytes()).await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    read_to_end(&mut tcp, rest).await;
}

#[tokio::test]
async fn an_app_route_cannot_take_an_upgraded_connection() {
    let addr = start();
    let (mut tcp, head, rest) = upgrade(addr, handshake("/own-upgrade").as_bytes()).await;
    assert!(head.starts_with("HTTP/1.1 500"), "{head}");
    let body = read_to_end(&mut tcp, rest).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], json!("internal"), "{body}");
}

#[tokio::test]
async fn a_plain_get_of_the_websocket_path_is_a_json_400() {
    let addr = start();
    let response = reqwest::get(format!("http://{addr}/ws/")).await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("bad_request"), "{body}");
}
