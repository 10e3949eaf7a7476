//! Window registrations live as long as a connection uses them, plus their time-to-live.

mod common;

use std::time::Duration;

use common::{Client, TestServer};
use serde_json::json;

#[tokio::test]
async fn a_connection_keeps_its_registration_alive_and_it_expires_after_the_last_one() {
    let server = TestServer::start();
    let key = server
        .register(json!({"user": {"id": "7", "username": "u7"}, "ttl": 1}))
        .await;
    let client = Client::connect(&server, Some(&key)).await;
    // Well past the one-second TTL: the connection renewed it.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    client.close().await;
    server.wait_connections(0).await;
    let mut again = Client::connect(&server, Some(&key)).await;
    let whoami = again.ok("demo.whoami", json!({})).await;
    assert_eq!(
        whoami["user"]["id"],
        json!("7"),
        "still registered: {whoami}"
    );
    again.close().await;
    server.wait_connections(0).await;
    // Nobody renews it now: one TTL later it is gone.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut late = Client::connect(&server, Some(&key)).await;
    assert_eq!(
        late.ok("demo.whoami", json!({})).await["anonymous"],
        json!(true)
    );
}
