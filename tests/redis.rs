//! The Redis broker, end to end: two real `switchboard` processes (nodes A and B) on one
//! private `redis-server`, driven through their HTTP API and websockets.
//!
//! Every test starts its own `redis-server` (tests/common/redis_server.rs) so tests run in
//! parallel. Without `redis-server` these tests FAIL (they never skip).
//!
//! Subscriptions to Redis are asynchronous: after a window connects to a node (or joins a
//! topic), the node's SUBSCRIBE takes effect a moment later, and a trigger published before
//! that is lost (at-most-once). So before asserting a delivery the tests wait until the route
//! works with [`wait_routed`], which retries a probe trigger with a deadline.

mod common;

use std::time::{Duration, Instant};

use common::node::{Cluster, Node, OUTAGE_ANSWER, RECOVERY};
use common::process::{switchboard, Process};
use common::redis_server::{RedisCluster, RedisServer};
use common::{rand_id, Client, WAIT};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The signal of the probes of [`wait_routed`].
const PROBE: &str = "t.probe";

/// The signal of the fences of [`wait_routed`].
const FENCE: &str = "t.fence";

/// The next `signal` frame whose `opts.tag` is `tag` (other frames of that signal are
/// dropped: they are probes or fences of earlier waits, or of other windows).
async fn tagged(client: &mut Client, signal: &str, tag: &str) {
    while client.signal(signal).await["opts"]["tag"] != json!(tag) {}
}

/// Waits until a trigger through `via` to `to` (a `to` list) reaches `client`, retrying a
/// probe until `within` has passed; the probes are then removed from the client's stream.
async fn wait_routed_within(via: &Node, to: Value, client: &mut Client, within: Duration) {
    let tag = rand_id();
    let started = Instant::now();
    loop {
        via.trigger(json!({"signal": PROBE, "opts": {"tag": tag}, "to": to}))
            .await;
        // Redis delivers in microseconds; 250 ms without the probe means it was lost.
        if timeout(Duration::from_millis(250), tagged(client, PROBE, &tag))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            started.elapsed() < within,
            "triggers through {} to {to} never reached the window within {within:?}",
            via.name
        );
    }
    // A later probe may still be on its way: a fence from the same sender to the same
    // targets arrives after every probe before it (order per sender and topic), then every
    // probe is dropped.
    via.trigger(json!({"signal": FENCE, "opts": {"tag": tag}, "to": to}))
        .await;
    tagged(client, FENCE, &tag).await;
    forget_probes(client).await;
}

/// Drops the probes and fences a client received (e.g. those of another window in its
/// topics), so that [`Client::expect_silence`] sees only the test's own frames.
async fn forget_probes(client: &mut Client) {
    for signal in [PROBE, FENCE] {
        while timeout(Duration::ZERO, client.signal(signal)).await.is_ok() {}
    }
}

/// [`wait_routed_within`] with the usual wait.
async fn wait_routed(via: &Node, to: Value, client: &mut Client) {
    wait_routed_within(via, to, client, WAIT).await;
}

/// The sum of the samples of a metric in Prometheus text (panics if it is not listed).
fn metric(text: &str, name: &str) -> f64 {
    let samples: Vec<f64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let value = if rest.starts_with('{') {
                rest.rsplit_once('}')?.1
            } else if rest.starts_with(' ') {
                rest
            } else {
                return None;
            };
            value.split_whitespace().next()?.parse().ok()
        })
        .collect();
    assert!(!samples.is_empty(), "{name} is not in /metrics:\n{text}");
    samples.iter().sum()
}

/// The broker metrics every node serves.
const BROKER_METRICS: [&str; 4] = [
    "switchboard_broker_publishes_total",
    "switchboard_broker_received_total",
    "switchboard_broker_reconnects_total",
    "switchboard_broker_subscriptions",
];

// ---------------------------------------------------------------------------------------------
// Configuration

#[test]
fn serve_help_documents_the_redis_options_without_showing_secrets() {
    let mut command = switchboard(&["serve", "--help"]);
    command.env(
        "SWITCHBOARD_REDIS_URL",
        "redis://:secret-password-42@127.0.0.1:1/",
    );
    let mut process = Process::spawn(command);
    let status = process.exit();
    process.drain();
    let stdout = process.output(common::process::Stream::Stdout);
    assert!(status.success(), "{}", process.transcript());
    for (option, env) in [
        ("--redis ", "SWITCHBOARD_REDIS_URL"),
        ("--redis-prefix", "SWITCHBOARD_REDIS_PREFIX"),
    ] {
        assert!(stdout.contains(option), "{option} in:\n{stdout}");
        assert!(
            stdout.contains(&format!("[env: {env}")),
            "{env} in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("secret-password-42"), "{stdout}");
}

#[tokio::test]
async fn options_come_from_the_environment_and_keys_follow_the_layout() {
    let redis = RedisServer::start();
    let url = redis.url();
    // A by the command line, B by the environment: they share the prefix `custom:`.
    let a = Node::start_with("A", &["--redis", &url, "--redis-prefix", "custom:"], &[]).await;
    let b = Node::start_with(
        "B",
        &[],
        &[
            ("SWITCHBOARD_REDIS_URL", url.as_str()),
            ("SWITCHBOARD_REDIS_PREFIX", "custom:"),
        ],
    )
    .await;

    let key = a
        .register(
            json!({"user": {"id": "42", "username": "alice"}, "topics": ["news"], "ttl": 600}),
        )
        .await;
    // The window hash and its topic set, with the key in a hash tag.
    let hash = format!("custom:window:{{{key}}}");
    let fields = redis.command(&["HKEYS", &hash]).strings();
    for field in ["info", "ttl", "version"] {
        assert!(fields.contains(&field.to_owned()), "{hash}: {fields:?}");
    }
    let info = match redis.command(&["HGET", &hash, "info"]) {
        common::redis_server::Resp::Bulk(Some(info)) => info,
        other => panic!("{hash} info: {other:?}"),
    };
    let info: Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["user"]["username"], json!("alice"), "{info}");
    let ttl = redis.command(&["TTL", &hash]).int();
    assert!((1..=600).contains(&ttl), "TTL {hash} = {ttl}");
    let topics = format!("custom:window:{{{key}}}:topics");
    assert_eq!(redis.command(&["SMEMBERS", &topics]).strings(), ["news"]);
    // Nothing under the default prefix.
    assert_eq!(
        redis.command(&["KEYS", "switchboard:*"]).strings(),
        Vec::<String>::new()
    );

    // B (configured by the environment) serves the window registered on A.
    let mut client = b.connect(&key).await;
    let whoami = client.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["user"]["username"], json!("alice"), "{whoami}");
    wait_routed(&a, json!([{"topic": "news"}]), &mut client).await;
    let channels = redis.command(&["PUBSUB", "CHANNELS", "custom:*"]).strings();
    for channel in ["custom:topic:news", "custom:control"] {
        assert!(
            channels.contains(&channel.to_owned()),
            "{channel}: {channels:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Two nodes, one cluster

#[tokio::test]
async fn a_window_registered_on_one_node_connects_to_another() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    let key = a
        .register(json!({
            "user": {"id": "42", "username": "alice", "perms": ["blog.change_article"]},
            "topics": ["news"]
        }))
        .await;

    let mut client = b.connect(&key).await;
    let whoami = client.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["anonymous"], json!(false), "{whoami}");
    assert_eq!(whoami["user"]["id"], json!("42"), "{whoami}");
    assert_eq!(whoami["user"]["username"], json!("alice"), "{whoami}");

    // Its topic reaches it, through B (where it is connected) and through A.
    for (n, via) in [b, a].into_iter().enumerate() {
        wait_routed(via, json!([{"topic": "news"}]), &mut client).await;
        let id = via
            .trigger(json!({"signal": "t.news", "opts": {"n": n}, "to": [{"topic": "news"}]}))
            .await;
        let frame = client.signal("t.news").await;
        assert_eq!(frame["opts"], json!({"n": n}), "{frame}");
        assert_eq!(frame["signal_id"], json!(id), "{frame}");
    }
    client.expect_silence().await;
}

#[tokio::test]
async fn a_window_on_one_node_receives_what_another_node_sends() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    let key = a
        .register(json!({
            "user": {"id": "7", "username": "bob"},
            "session": "session-of-bob",
            "topics": ["news"]
        }))
        .await;
    let mut client = a.connect(&key).await;

    // Every kind of target, through B's API.
    let targets = [
        json!({"topic": "news"}),
        json!({"user": "7"}),
        json!({"session": "session-of-bob"}),
        json!({"window": key}),
        json!("broadcast"),
    ];
    for (n, target) in targets.iter().enumerate() {
        wait_routed(b, json!([target]), &mut client).await;
        let id = b
            .trigger(json!({"signal": "t.cross", "opts": {"n": n}, "to": [target]}))
            .await;
        let frame = client.signal("t.cross").await;
        assert_eq!(frame["opts"], json!({"n": n}), "{target}: {frame}");
        assert_eq!(frame["signal_id"], json!(id), "{target}: {frame}");
    }
    client.expect_silence().await;

    // From a handler running on B: a window on B says something in a room.
    let carol = b
        .register(json!({"user": {"id": "8", "username": "carol"}}))
        .await;
    let mut on_b = b.connect(&carol).await;
    assert_eq!(
        on_b.ok("demo.join", json!({"room": "lobby"})).await,
        json!({"topic": "room:lobby"})
    );
    assert_eq!(
        client.ok("demo.join", json!({"room": "lobby"})).await,
        json!({"topic": "room:lobby"})
    );
    wait_routed(b, json!([{"topic": "room:lobby"}]), &mut client).await;
    on_b.ok("demo.say", json!({"room": "lobby", "text": "hello from B"}))
        .await;
    let message = client.signal("demo.message").await;
    assert_eq!(message["opts"]["room"], json!("lobby"), "{message}");
    assert_eq!(message["opts"]["text"], json!("hello from B"), "{message}");
    assert_eq!(message["opts"]["from"], json!("carol"), "{message}");
    client.expect_silence().await;
}

#[tokio::test]
async fn topic_changes_on_one_node_apply_at_once_on_another() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    let key = a.register(json!({"topics": ["old", "kept"]})).await;
    let mut client = b.connect(&key).await;
    wait_routed(a, json!([{"topic": "old"}]), &mut client).await;

    let (status, answer) = a
        .post(
            &format!("/api/v1/windows/{key}/topics"),
            json!({"add": ["new"], "remove": ["old"]}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let topics = answer["topics"].as_array().expect("topics");
    assert!(topics.contains(&json!("new")), "{answer}");
    assert!(topics.contains(&json!("kept")), "{answer}");
    assert!(!topics.contains(&json!("old")), "{answer}");

    // At once: the removed topic no longer reaches it. (Through A: B receives the change
    // and then the trigger from Redis, in that order.)
    a.trigger(json!({"signal": "t.old", "to": [{"topic": "old"}]}))
        .await;
    // The new one does (once B has subscribed its channel), through either node.
    for via in [a, b] {
        wait_routed(via, json!([{"topic": "new"}]), &mut client).await;
        let id = via
            .trigger(json!({"signal": "t.new", "to": [{"topic": "new"}]}))
            .await;
        assert_eq!(client.signal("t.new").await["signal_id"], json!(id));
    }
    // The whole record moved: the topic it kept still reaches it.
    wait_routed(a, json!([{"topic": "kept"}]), &mut client).await;
    // And nothing of `old` arrived.
    client.expect_silence().await;
    // A registration elsewhere sees the change too.
    let mut again = a.connect(&key).await;
    wait_routed(b, json!([{"topic": "new"}]), &mut again).await;
}

#[tokio::test]
async fn deleting_a_window_on_one_node_closes_it_on_another() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    let key = a
        .register(json!({"user": {"id": "5", "username": "eve"}}))
        .await;
    let mut client = b.connect(&key).await;
    // B has the connection in its registry once a trigger to the window reaches it.
    wait_routed(a, json!([{"window": key}]), &mut client).await;

    let response = a
        .api(Method::DELETE, &format!("/api/v1/windows/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(client.closed().await, CloseCode::Policy);

    // The key is gone on every node.
    let response = b
        .api(Method::DELETE, &format!("/api/v1/windows/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let mut anonymous = b.connect(&key).await;
    assert_eq!(
        anonymous.ok("demo.whoami", json!({})).await,
        json!({"anonymous": true, "user": null})
    );
}

#[tokio::test]
async fn a_trigger_reaches_each_connection_at_most_once_across_nodes() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    let key = a.register(json!({"topics": ["t1", "t2"]})).await;
    // The same window on both nodes (a reloaded tab overlapping its old socket).
    let mut on_a = a.connect(&key).await;
    let mut on_b = b.connect(&key).await;
    let targets = [
        json!({"topic": "t1"}),
        json!({"topic": "t2"}),
        json!("broadcast"),
        json!({"window": key}),
    ];
    for target in &targets {
        wait_routed(b, json!([target]), &mut on_a).await;
        wait_routed(b, json!([target]), &mut on_b).await;
    }

    let id = b
        .trigger(json!({"signal": "t.once", "opts": {"x": 1}, "to": targets}))
        .await;
    for client in [&mut on_a, &mut on_b] {
        let frame = client.signal("t.once").await;
        assert_eq!(frame["signal_id"], json!(id), "{frame}");
        assert_eq!(frame["opts"], json!({"x": 1}), "{frame}");
    }
    for client in [&mut on_a, &mut on_b] {
        forget_probes(client).await;
        client.expect_silence().await;
    }
}

#[tokio::test]
async fn triggers_from_one_sender_arrive_in_order_on_another_node() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    let key = a.register(json!({"topics": ["seq"]})).await;
    let mut client = a.connect(&key).await;
    wait_routed(b, json!([{"topic": "seq"}]), &mut client).await;

    for n in 0..100 {
        b.trigger(json!({"signal": "t.seq", "opts": {"n": n}, "to": [{"topic": "seq"}]}))
            .await;
    }
    for n in 0..100 {
        let frame = client.recv().await;
        assert_eq!(frame["signal"], json!("t.seq"), "{frame}");
        assert_eq!(frame["opts"], json!({"n": n}), "{frame}");
    }
    client.expect_silence().await;
}

#[tokio::test]
async fn broker_metrics_are_served_and_move() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    for node in [a, b] {
        let text = node.metrics().await;
        for name in BROKER_METRICS {
            metric(&text, name);
        }
        assert_eq!(metric(&text, "switchboard_broker_reconnects_total"), 0.0);
    }
    let key = a.register(json!({"topics": ["m"]})).await;
    let mut client = a.connect(&key).await;
    wait_routed(b, json!([{"topic": "m"}]), &mut client).await;
    b.trigger(json!({"signal": "t.m", "to": [{"topic": "m"}]}))
        .await;
    client.signal("t.m").await;

    let on_a = a.metrics().await;
    let on_b = b.metrics().await;
    assert!(
        metric(&on_a, "switchboard_broker_subscriptions") > 0.0,
        "{on_a}"
    );
    assert!(
        metric(&on_a, "switchboard_broker_received_total") > 0.0,
        "{on_a}"
    );
    assert!(
        metric(&on_b, "switchboard_broker_publishes_total") > 0.0,
        "{on_b}"
    );
}

// ---------------------------------------------------------------------------------------------
// Redis outage

/// Waits, on both nodes at once, until `/readyz` answers `status` within `within`.
async fn both_ready(cluster: &Cluster, status: StatusCode, within: Duration, since: Instant) {
    async fn one(node: &Node, status: StatusCode, within: Duration, since: Instant) {
        node.wait_ready(status, within).await;
        let name = node.name;
        eprintln!(
            "outage: /readyz on {name} answers {status} after {:?}",
            since.elapsed()
        );
    }
    tokio::join!(
        one(&cluster.a, status, within, since),
        one(&cluster.b, status, within, since)
    );
}

#[tokio::test]
async fn nodes_survive_a_redis_outage_and_resync_their_windows() {
    let mut cluster = Cluster::start().await;
    let lobby = json!([{"topic": "room:lobby"}]);
    let room = json!({"topics": ["room:lobby"]});
    let key_a1 = cluster
        .a
        .register(json!({"user": {"id": "1", "username": "ann"}, "topics": ["room:lobby"]}))
        .await;
    let key_a2 = cluster.a.register(room.clone()).await;
    let key_b1 = cluster.b.register(room.clone()).await;
    let mut a1 = cluster.a.connect(&key_a1).await;
    let mut a2 = cluster.a.connect(&key_a2).await;
    let mut b1 = cluster.b.connect(&key_b1).await;
    wait_routed(&cluster.b, lobby.clone(), &mut a1).await;
    wait_routed(&cluster.b, lobby.clone(), &mut a2).await;
    wait_routed(&cluster.a, lobby.clone(), &mut b1).await;

    cluster.redis.kill();
    let outage = Instant::now();

    // The nodes notice: /readyz answers 503.
    both_ready(
        &cluster,
        StatusCode::SERVICE_UNAVAILABLE,
        OUTAGE_ANSWER,
        outage,
    )
    .await;
    // A registration fails fast with a JSON error instead of hanging.
    let started = Instant::now();
    let response = cluster
        .a
        .api(Method::POST, "/api/v1/windows")
        .json(&room)
        .timeout(OUTAGE_ANSWER)
        .send()
        .await
        .unwrap_or_else(|e| panic!("registration during the outage: {e}"));
    assert_eq!(response.status(), 503);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], json!("unavailable"), "{answer}");
    assert!(answer["error"]["message"].is_string(), "{answer}");
    assert!(started.elapsed() < OUTAGE_ANSWER, "{:?}", started.elapsed());
    eprintln!(
        "outage: registration answered 503 in {:?}",
        started.elapsed()
    );

    // Local delivery on A still works: a window says something in its room.
    let started = Instant::now();
    let said = timeout(
        OUTAGE_ANSWER,
        a1.request("demo.say", json!({"room": "lobby", "text": "still here"})),
    )
    .await
    .expect("demo.say answers during the outage");
    // The caller's topics come from A's own copy, and A's windows get the message.
    assert_eq!(said["ok"], json!(true), "{said}");
    for client in [&mut a2, &mut a1] {
        let message = client.signal("demo.message").await;
        assert_eq!(message["opts"]["text"], json!("still here"), "{message}");
    }
    eprintln!(
        "outage: demo.say succeeded in {:?} and was delivered locally",
        started.elapsed()
    );
    // A trigger through A's API cannot reach the other nodes, so it answers 503 `local_only`,
    // with the id A's own windows got it with.
    let (status, answer) = cluster
        .a
        .post(
            "/api/v1/trigger",
            json!({"signal": "t.local", "to": [{"topic": "room:lobby"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["error"]["code"], json!("local_only"), "{answer}");
    let id = answer["signal_id"].as_str().expect("a signal_id");
    for client in [&mut a2, &mut a1] {
        assert_eq!(client.signal("t.local").await["signal_id"], json!(id));
    }

    // Redis comes back on the same port, empty.
    cluster.redis.restart();
    let back = Instant::now();
    both_ready(&cluster, StatusCode::OK, RECOVERY, back).await;
    // Every window is told it may have missed something.
    for (name, client) in [("a1", &mut a1), ("a2", &mut a2), ("b1", &mut b1)] {
        let frame = client.signal("df.resync").await;
        assert_eq!(
            frame["opts"],
            json!({"recovered": false}),
            "{name}: {frame}"
        );
        let id = frame["signal_id"].as_str().expect("a signal_id");
        uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{name}: {e}: {frame}"));
    }
    // Cross-node delivery works again, both ways, on the connections already open.
    wait_routed_within(&cluster.b, lobby.clone(), &mut a1, RECOVERY).await;
    wait_routed_within(&cluster.a, lobby.clone(), &mut b1, RECOVERY).await;
    eprintln!(
        "outage: cross-node delivery back after {:?}",
        back.elapsed()
    );
    let id = cluster
        .b
        .trigger(json!({"signal": "t.after", "to": [{"topic": "room:lobby"}]}))
        .await;
    for client in [&mut a1, &mut a2, &mut b1] {
        assert_eq!(client.signal("t.after").await["signal_id"], json!(id));
    }
    // And new registrations work again, across nodes.
    let key = cluster
        .a
        .register(json!({"user": {"id": "9", "username": "dave"}, "topics": ["after"]}))
        .await;
    let mut fresh = cluster.b.connect(&key).await;
    let whoami = fresh.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["user"]["username"], json!("dave"), "{whoami}");
    wait_routed(&cluster.a, json!([{"topic": "after"}]), &mut fresh).await;

    for node in [&mut cluster.a, &mut cluster.b] {
        let text = node.metrics().await;
        let reconnects = metric(&text, "switchboard_broker_reconnects_total");
        if reconnects < 1.0 {
            let log = node.log();
            panic!("{}: no reconnect counted: {text}\n{log}", node.name);
        }
    }
    // Nothing else arrived, apart from possibly more than one df.resync.
    for (name, client) in [("a1", &mut a1), ("a2", &mut a2), ("b1", &mut b1)] {
        let mut more = 0;
        while timeout(Duration::ZERO, client.signal("df.resync"))
            .await
            .is_ok()
        {
            more += 1;
        }
        if more > 0 {
            eprintln!("outage: {name} received {} df.resync frames", more + 1);
        }
        forget_probes(client).await;
        client.expect_silence().await;
    }
}

/// A local three-node Redis Cluster: two nodes in sharded pub/sub mode act as one server.
#[tokio::test]
async fn nodes_on_a_redis_cluster_act_as_one_server() {
    let redis = RedisCluster::start();
    let urls = redis.urls();
    let args = ["--redis-cluster", "--redis", urls.as_str()];
    let a = Node::start_with("A", &args, &[]).await;
    let b = Node::start_with("B", &args, &[]).await;

    // Registered through A (its two keys share a slot), connected to B.
    let key = a
        .register(json!({"user": {"id": "31", "username": "dana"}, "topics": ["t1", "t2"]}))
        .await;
    let mut on_b = b.connect(&key).await;
    let whoami = on_b.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["user"]["username"], json!("dana"), "{whoami}");

    // Through A, several targets on channels of different slots: exactly once.
    wait_routed(&a, json!([{"topic": "t1"}]), &mut on_b).await;
    wait_routed(&a, json!([{"topic": "t2"}]), &mut on_b).await;
    let to = json!([{"topic": "t1"}, {"topic": "t2"}, {"user": "31"}, "broadcast"]);
    let id = a.trigger(json!({"signal": "t.once", "to": to})).await;
    assert_eq!(on_b.signal("t.once").await["signal_id"], json!(id));
    on_b.expect_silence().await;

    // A topic change made on A moves the connection on B at once.
    let (status, answer) = a
        .post(
            &format!("/api/v1/windows/{key}/topics"),
            json!({"add": ["t3"], "remove": ["t1"]}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    wait_routed(&a, json!([{"topic": "t3"}]), &mut on_b).await;
    a.trigger(json!({"signal": "t.gone", "to": [{"topic": "t1"}]}))
        .await;
    on_b.expect_silence().await;

    // A handler on B reaches a window on A.
    let erin = b
        .register(json!({"user": {"id": "32", "username": "erin"}}))
        .await;
    let mut on_a = a.connect(&erin).await;
    on_a.ok("demo.join", json!({"room": "ops"})).await;
    on_b.ok("demo.join", json!({"room": "ops"})).await;
    wait_routed(&b, json!([{"topic": "room:ops"}]), &mut on_a).await;
    on_b.ok("demo.say", json!({"room": "ops", "text": "sharded"}))
        .await;
    let message = on_a.signal("demo.message").await;
    assert_eq!(message["opts"]["text"], json!("sharded"), "{message}");
    assert_eq!(message["opts"]["from"], json!("dana"), "{message}");
}

/// The limit of topics per window holds on Redis too, atomically.
#[tokio::test]
async fn topics_per_window_are_bounded_on_redis() {
    let redis = RedisServer::start();
    let url = redis.url();
    let node = Node::start_with("A", &["--redis", &url, "--max-topics-per-window", "2"], &[]).await;
    let key = node.register(json!({"topics": ["a"]})).await;
    let path = format!("/api/v1/windows/{key}/topics");
    let (status, answer) = node.post(&path, json!({"add": ["b", "c"]})).await;
    assert_eq!(status, 400, "{answer}");
    let members = redis.command(&["SMEMBERS", &format!("switchboard:window:{{{key}}}:topics")]);
    assert_eq!(members.strings(), vec!["a".to_string()], "nothing changed");
    let (status, answer) = node
        .post(&path, json!({"add": ["b", "c"], "remove": ["a"]}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["topics"], json!(["b", "c"]));
}

/// Asserts that a registration through `node` is refused: 503 `too_many_windows`, max 3.
async fn full(node: &Node) {
    let (status, answer) = node.post("/api/v1/windows", json!({})).await;
    common::assert_too_many_windows(status.as_u16(), &answer, 3);
}

/// `max_windows` bounds the registrations of every node sharing a Redis together, through the
/// sorted set `P windows` (PROTOCOL.md §8).
#[tokio::test]
async fn registrations_are_bounded_across_nodes_on_redis() {
    let redis = RedisServer::start();
    let url = redis.url();
    let args = ["--redis", url.as_str(), "--max-windows", "3"];
    let a = Node::start_with("A", &args, &[]).await;
    let b = Node::start_with("B", &args, &[]).await;
    let index = |args: &[&str]| {
        let mut command = vec![args[0], "switchboard:windows"];
        command.extend_from_slice(&args[1..]);
        redis.command(&command)
    };

    // On A a connected window (renewed by its connection) and one kept; on B one that
    // expires in a second.
    let renewed = a
        .register(json!({"user": {"id": "1", "username": "ann"}, "ttl": 2}))
        .await;
    let mut client = a.connect(&renewed).await;
    let kept = a.register(json!({"topics": ["a"]})).await;
    let _short = b.register(json!({"ttl": 1})).await;
    assert_eq!(index(&["ZCARD"]).int(), 3);
    full(&b).await;
    full(&a).await;
    assert_eq!(
        metric(&b.metrics().await, "switchboard_windows_registered"),
        3.0
    );
    assert_eq!(
        metric(&a.metrics().await, "switchboard_windows_registered"),
        3.0
    );
    let (status, answer) = b
        .post(
            &format!("/api/v1/windows/{kept}/topics"),
            json!({"add": ["b"]}),
        )
        .await;
    assert_eq!(status, 200, "an existing window still changes: {answer}");

    // Past both first time-to-lives: the short one's place is free, the renewed one's not.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        metric(&a.metrics().await, "switchboard_windows_registered"),
        2.0
    );
    b.register(json!({})).await;
    full(&a).await;
    let whoami = client.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["user"]["id"], json!("1"), "{whoami}");

    // A deletion frees its place at once, on every node.
    let response = a
        .api(Method::DELETE, &format!("/api/v1/windows/{kept}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        index(&["ZSCORE", &kept]),
        common::redis_server::Resp::Bulk(None)
    );
    b.register(json!({})).await;
    full(&b).await;
    assert_eq!(index(&["ZCARD"]).int(), 3);
    assert_eq!(
        metric(&b.metrics().await, "switchboard_windows_registered"),
        3.0
    );
}

/// During a Redis outage the handlers called by a node's own windows go by the node's copy of
/// their topics, and their triggers reach the node's windows: `demo.say` keeps working.
#[tokio::test]
async fn handlers_of_connected_windows_keep_working_during_a_redis_outage() {
    let mut redis = RedisServer::start();
    let node = Node::start("A", &redis).await;
    let room = json!([{"topic": "room:x"}]);
    let ann = node
        .register(json!({"user": {"id": "1", "username": "ann"}}))
        .await;
    let bob = node
        .register(json!({"user": {"id": "2", "username": "bob"}}))
        .await;
    let mut ann = node.connect(&ann).await;
    let mut bob = node.connect(&bob).await;
    for client in [&mut ann, &mut bob] {
        client.ok("demo.join", json!({"room": "x"})).await;
    }
    wait_routed(&node, room.clone(), &mut ann).await;
    wait_routed(&node, room.clone(), &mut bob).await;

    redis.kill();
    let outage = Instant::now();
    node.wait_ready(StatusCode::SERVICE_UNAVAILABLE, OUTAGE_ANSWER)
        .await;
    eprintln!("outage: /readyz answers 503 after {:?}", outage.elapsed());

    // The caller's topics come from the node, and the room on this node gets the message.
    let started = Instant::now();
    let said = timeout(
        OUTAGE_ANSWER,
        ann.request("demo.say", json!({"room": "x", "text": "still here"})),
    )
    .await
    .expect("demo.say answers during the outage");
    assert_eq!(said["ok"], json!(true), "{said}");
    eprintln!("outage: demo.say answered ok in {:?}", started.elapsed());
    for client in [&mut bob, &mut ann] {
        let message = client.signal("demo.message").await;
        assert_eq!(message["opts"]["text"], json!("still here"), "{message}");
        assert_eq!(message["opts"]["from"], json!("ann"), "{message}");
    }
    // Still refused for a room the caller is not in, by the same copy.
    let (code, _) = bob
        .err("demo.say", json!({"room": "y", "text": "no"}))
        .await;
    assert_eq!(code, "forbidden");
    // The HTTP API says what happened: only this node's windows got the trigger.
    let (status, answer) = node
        .post(
            "/api/v1/trigger",
            json!({"signal": "t.local", "to": [{"topic": "room:x"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["error"]["code"], json!("local_only"), "{answer}");
    let id = answer["signal_id"].as_str().expect("the trigger's id");
    for client in [&mut bob, &mut ann] {
        assert_eq!(client.signal("t.local").await["signal_id"], json!(id));
    }
    assert_eq!(
        node.readyz(OUTAGE_ANSWER).await,
        Ok(StatusCode::SERVICE_UNAVAILABLE),
        "/readyz still tells the outage"
    );

    // Redis comes back (empty): the node is ready again, tells its windows, delivers through
    // Redis again, and new windows work as before.
    redis.restart();
    let back = Instant::now();
    node.wait_ready(StatusCode::OK, RECOVERY).await;
    for client in [&mut ann, &mut bob] {
        let frame = client.signal("df.resync").await;
        assert_eq!(frame["opts"], json!({"recovered": false}), "{frame}");
    }
    wait_routed_within(&node, room.clone(), &mut ann, RECOVERY).await;
    wait_routed_within(&node, room.clone(), &mut bob, RECOVERY).await;
    eprintln!(
        "outage: delivery through Redis back after {:?}",
        back.elapsed()
    );
    let carol = node
        .register(json!({"user": {"id": "3", "username": "carol"}}))
        .await;
    let mut carol = node.connect(&carol).await;
    carol.ok("demo.join", json!({"room": "x"})).await;
    wait_routed(&node, room.clone(), &mut carol).await;
    forget_probes(&mut ann).await;
    forget_probes(&mut bob).await;
    carol
        .ok("demo.say", json!({"room": "x", "text": "back"}))
        .await;
    for client in [&mut ann, &mut bob, &mut carol] {
        let message = client.signal("demo.message").await;
        assert_eq!(message["opts"]["text"], json!("back"), "{message}");
        assert_eq!(message["opts"]["from"], json!("carol"), "{message}");
    }
}
