//! PROTOCOL.md §5.6 across nodes: two real `switchboard` processes on one private
//! `redis-server` keep one history; a window that drops from one node and comes back to the
//! other receives what it missed, once each and in order, or nothing when it cannot.

mod common;

use std::time::Duration;

use common::node::{Cluster, Node};
use common::redis_server::{RedisCluster, RedisServer};
use common::resume::{count_across_a_drop, position_after, resume, since_of, Resumed};
use reqwest::Method;
use serde_json::{json, Value};

/// Connects window `key` to `node` with `since`, up to the position frame.
async fn connect(node: &Node, key: &str, since: Option<&str>) -> Resumed {
    resume(&node.ws_url(key), since).await
}

fn names(frames: &[Value]) -> Vec<&str> {
    frames
        .iter()
        .map(|f| f["signal"].as_str().unwrap())
        .collect()
}

async fn trigger(node: &Node, signal: &str, to: Value) -> String {
    node.trigger(json!({"signal": signal, "opts": {}, "to": to}))
        .await
}

#[tokio::test]
async fn a_window_that_moves_to_another_node_gets_what_it_missed() {
    let cluster = Cluster::start().await;
    moves_to_another_node(&cluster.a, &cluster.b).await;
}

/// The same on a Redis Cluster: every key of the history in one slot, triggers kept in history
/// on one sharded channel, registrations spread over the shards.
#[tokio::test]
async fn a_window_that_moves_to_another_node_gets_what_it_missed_on_a_redis_cluster() {
    let redis = RedisCluster::start();
    let urls = redis.urls();
    let args = ["--redis-cluster", "--redis", urls.as_str()];
    let a = Node::start_with("A", &args, &[]).await;
    let b = Node::start_with("B", &args, &[]).await;
    moves_to_another_node(&a, &b).await;
}

/// A window registered on `a` and connected to it receives a trigger sent through `b`, drops,
/// misses triggers sent through both, and comes back to `b`: everything it missed, once each,
/// in trigger order, then live delivery.
async fn moves_to_another_node(a: &Node, b: &Node) {
    let key = a
        .register(json!({"user": {"id": "u1"}, "topics": ["room"]}))
        .await;
    let Resumed {
        mut client,
        position,
        ..
    } = connect(a, &key, None).await;
    // Live, through the other node: the position frame came once A listens to the topics.
    trigger(b, "live.one", json!([{"topic": "room"}])).await;
    let live = client.recv_raw().await;
    assert_eq!(live["signal"], json!("live.one"));
    let since = position_after(&position, &[live]);
    drop(client);

    let mut expected = Vec::new();
    for (via, signal, to) in [
        (a, "away.a_room", json!([{"topic": "room"}])),
        (b, "away.b_user", json!([{"user": "u1"}])),
        (b, "away.b_other", json!([{"topic": "elsewhere"}])),
        (a, "away.a_all", json!(["broadcast"])),
        (
            b,
            "away.b_overlap",
            json!([{"topic": "room"}, {"user": "u1"}, {"user": "u2"}]),
        ),
    ] {
        let id = trigger(via, signal, to).await;
        if !signal.contains("other") {
            expected.push((signal.to_owned(), id));
        }
    }
    let resumed = connect(b, &key, Some(&since)).await;
    assert_eq!(
        resumed.position["recovered"],
        json!(true),
        "{}",
        resumed.position
    );
    let got: Vec<(String, String)> = resumed
        .replayed
        .iter()
        .map(|f| {
            (
                f["signal"].as_str().unwrap().to_owned(),
                f["signal_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got, expected,
        "once each, in trigger order, from both nodes"
    );
    let mut client = resumed.client;
    trigger(a, "live.two", json!([{"topic": "room"}])).await;
    assert_eq!(client.recv_raw().await["signal"], json!("live.two"));
    client.expect_silence().await;
}

/// A node on `redis` with `options`, and a window in topic `room` that connected once and left:
/// the node, the window's key and the position it left at.
async fn node_and_a_window_that_left(
    redis: &RedisServer,
    options: &[&str],
) -> (Node, String, String) {
    let url = redis.url();
    let mut args = vec!["--redis", url.as_str()];
    args.extend_from_slice(options);
    let node = Node::start_with("A", &args, &[]).await;
    let key = node.register(json!({"topics": ["room"]})).await;
    let first = connect(&node, &key, None).await;
    let since = since_of(&first.position);
    (node, key, since)
}

#[tokio::test]
async fn a_gap_larger_than_the_history_is_not_recovered_on_redis() {
    let redis = RedisServer::start();
    let (a, key, since) = node_and_a_window_that_left(&redis, &["--history-size", "2"]).await;
    for _ in 0..3 {
        trigger(&a, "gap.t", json!([{"topic": "room"}])).await;
    }
    let resumed = connect(&a, &key, Some(&since)).await;
    assert_eq!(resumed.position["recovered"], json!(false));
    assert!(resumed.replayed.is_empty(), "never a partial replay");
    let offset = |p: &Value| p["position"]["offset"].as_u64().unwrap();
    assert_eq!(offset(&resumed.position), offset(&first_offset(&since)) + 3);
    // From a position the history still covers, it works.
    let covered = format!(
        "{}:{}",
        resumed.position["position"]["epoch"].as_str().unwrap(),
        offset(&resumed.position) - 2
    );
    drop(resumed);
    let again = connect(&a, &key, Some(&covered)).await;
    assert_eq!(again.position["recovered"], json!(true));
    assert_eq!(names(&again.replayed), ["gap.t", "gap.t"]);
}

/// `{"position": {"offset": N}}` of an `EPOCH:N` text, for comparisons.
fn first_offset(since: &str) -> Value {
    let offset: u64 = since.rsplit_once(':').unwrap().1.parse().unwrap();
    json!({"position": {"offset": offset}})
}

#[tokio::test]
async fn a_redis_that_lost_its_data_starts_a_new_epoch() {
    let mut cluster = Cluster::start().await;
    let key = cluster.a.register(json!({"topics": ["room"]})).await;
    let first = connect(&cluster.a, &key, None).await;
    let since = since_of(&first.position);
    drop(first);
    trigger(&cluster.a, "lost.t", json!([{"topic": "room"}])).await;
    cluster.redis.kill();
    cluster.redis.restart();
    cluster
        .a
        .wait_ready(reqwest::StatusCode::OK, Duration::from_secs(10))
        .await;
    // The registration was lost with the data: register again under a new key.
    let key = cluster.a.register(json!({"topics": ["room"]})).await;
    let resumed = connect(&cluster.a, &key, Some(&since)).await;
    assert_eq!(resumed.position["recovered"], json!(false));
    assert!(resumed.replayed.is_empty());
    assert_ne!(
        resumed.position["position"]["epoch"],
        json!(since.split(':').next().unwrap())
    );
}

#[tokio::test]
async fn expired_history_is_not_recovered_on_redis() {
    let redis = RedisServer::start();
    let (a, key, since) = node_and_a_window_that_left(&redis, &["--history-ttl-secs", "1"]).await;
    trigger(&a, "old.t", json!([{"topic": "room"}])).await;
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    trigger(&a, "new.t", json!([{"topic": "elsewhere"}])).await;
    let resumed = connect(&a, &key, Some(&since)).await;
    assert_eq!(resumed.position["recovered"], json!(false));
    assert!(resumed.replayed.is_empty());
}

/// A sender keeps triggering through node A while the window drops from node B and comes back
/// to node B: it receives each trigger exactly once, in order.
#[tokio::test]
async fn live_triggers_during_a_recovery_across_nodes_are_neither_lost_nor_doubled() {
    const TOTAL: u64 = 150;
    let cluster = Cluster::start().await;
    let key = cluster.a.register(json!({"topics": ["busy"]})).await;
    let Resumed {
        client, position, ..
    } = connect(&cluster.b, &key, None).await;
    let sender_addr = cluster.a.addr;
    let http = cluster.a.http.clone();
    let sender = tokio::spawn(async move {
        for n in 0..TOTAL {
            let response = http
                .post(format!("http://{sender_addr}/api/v1/trigger"))
                .bearer_auth(common::node::API_KEY)
                .json(&json!({"signal": "busy.n", "opts": {"n": n}, "to": [{"topic": "busy"}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 202);
        }
    });
    let (seen, _client) = count_across_a_drop(client, &position, 20, TOTAL, |since| {
        let node = &cluster.b;
        let key = &key;
        async move { connect(node, key, Some(&since)).await }
    })
    .await;
    sender.await.unwrap();
    assert_eq!(seen, (0..TOTAL).collect::<Vec<_>>(), "each once, in order");
}

#[tokio::test]
async fn the_history_api_reads_redis() {
    let cluster = Cluster::start().await;
    let id = cluster
        .a
        .trigger(json!({"signal": "h.t", "opts": {"n": 1}, "to": [{"topic": "room"}]}))
        .await;
    let response = cluster
        .b
        .api(Method::GET, "/api/v1/topics/room/history?limit=5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let offset = body["position"]["offset"].as_u64().unwrap();
    assert_eq!(
        body["publications"],
        json!([{"signal": "h.t", "opts": {"n": 1}, "signal_id": id, "offset": offset}])
    );
    assert_eq!(body["complete"], json!(true));
    let epoch = body["position"]["epoch"].as_str().unwrap();
    let response = cluster
        .a
        .api(
            Method::GET,
            &format!("/api/v1/topics/room/history?since={epoch}:{offset}"),
        )
        .send()
        .await
        .unwrap();
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["publications"], json!([]));
    assert_eq!(after["complete"], json!(true));
}
