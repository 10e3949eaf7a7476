//! Websocket handshakes written by hand on a bare TCP connection, for tests that need bytes
//! no client library sends (unmasked frames, a frame in the same write as the handshake) or
//! want to see the HTTP answer to an upgrade as it is.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::WAIT;

/// The head of a websocket handshake for `path`.
pub fn handshake(path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: switchboard\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Reads until the end of the answer's head; returns the head and what followed it.
pub async fn read_head(tcp: &mut TcpStream) -> (String, Vec<u8>) {
    let mut received = Vec::new();
    loop {
        read_more(tcp, &mut received).await;
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = received.split_off(at + 4);
            return (String::from_utf8(received).unwrap(), rest);
        }
    }
}

/// Connects to `addr`, writes `bytes` (a handshake, and whatever follows it) in one write,
/// and reads the answer's head: the connection, the head and what followed it.
pub async fn upgrade(addr: SocketAddr, bytes: &[u8]) -> (TcpStream, String, Vec<u8>) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let (head, rest) = read_head(&mut tcp).await;
    (tcp, head, rest)
}

/// Reads what comes next onto `received`; the connection must not end, and something must
/// come within the wait.
pub async fn read_more(tcp: &mut TcpStream, received: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let n = tokio::time::timeout(WAIT, tcp.read(&mut chunk))
        .await
        .expect("more bytes within the wait")
        .unwrap();
    assert!(n > 0, "the connection ended");
    received.extend_from_slice(&chunk[..n]);
}
