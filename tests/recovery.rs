//! PROTOCOL.md §5.6 on a real server with the in-memory broker: positions, recovery after a
//! lost connection (all or nothing, once each, in order, current topics only), the options
//! that bound it, and the history API.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::resume::{count_across_a_drop, position_after, resume, since_of, Resumed};
use common::{Client, TestServer};
use serde_json::{json, Value};
use switchboard::config::Config;
use switchboard::To;

/// Connects to `server` as window `key`, with `since`, and reads up to the position frame.
async fn connect(server: &TestServer, key: &str, since: Option<&str>) -> Resumed {
    resume(&format!("{}?dfwskey={key}", server.ws_url()), since).await
}

async fn trigger(server: &TestServer, signal: &str, to: Value) -> String {
    server
        .trigger(json!({"signal": signal, "opts": {}, "to": to}))
        .await
}

fn names(frames: &[Value]) -> Vec<&str> {
    frames
        .iter()
        .map(|f| f["signal"].as_str().unwrap())
        .collect()
}

fn with_history(size: usize, ttl_secs: u64) -> Config {
    Config {
        history_size: size,
        history_ttl_secs: ttl_secs,
        ..common::config()
    }
}

#[tokio::test]
async fn a_connection_that_asks_gets_a_position_and_frames_carry_offsets() {
    let server = TestServer::start();
    let key = server.register(json!({"topics": ["room"]})).await;
    let first = connect(&server, &key, None).await;
    assert!(first.replayed.is_empty());
    assert_eq!(
        first.position.as_object().unwrap().len(),
        1,
        "no `recovered`"
    );
    let start = first.position["position"]["offset"].as_u64().unwrap();
    let mut client = first.client;
    trigger(&server, "a.one", json!([{"topic": "room"}])).await;
    trigger(&server, "a.two", json!([{"topic": "room"}])).await;
    let one = client.recv_raw_text().await;
    let two = client.recv_raw_text().await;
    assert!(
        one.starts_with(r#"{"signal":"a.one","opts":{},"signal_id":""#),
        "{one}"
    );
    assert!(
        one.ends_with(&format!(r#"","offset":{}}}"#, start + 1)),
        "{one}"
    );
    assert!(
        two.ends_with(&format!(r#"","offset":{}}}"#, start + 2)),
        "{two}"
    );
}

/// A client that does not ask (df_websockets' own) gets no position frame: its first frame is
/// a signal, which carries an offset it ignores.
#[tokio::test]
async fn a_connection_without_since_gets_no_position_frame() {
    let server = TestServer::start();
    let key = server.register(json!({"topics": ["room"]})).await;
    let mut client = Client::connect(&server, Some(&key)).await;
    assert_eq!(client.position, None, "no position frame was set aside");
    trigger(&server, "legacy.t", json!([{"topic": "room"}])).await;
    let frame = client.recv_raw().await;
    assert_eq!(frame["signal"], json!("legacy.t"));
    assert!(frame["offset"].is_u64(), "{frame}");
    client.expect_silence().await;
    assert_eq!(client.position, None);
}

#[tokio::test]
async fn a_window_that_comes_back_gets_what_it_missed_once_in_order_then_live() {
    let server = TestServer::start();
    let key = server
        .register(json!({"user": {"id": "u1"}, "session": "s1", "topics": ["room"]}))
        .await;
    let Resumed {
        mut client,
        position,
        ..
    } = connect(&server, &key, None).await;
    trigger(&server, "live.before", json!([{"topic": "room"}])).await;
    let before = client.recv_raw().await;
    let since = position_after(&position, &[before]);
    client.close().await;

    // While it is away: one trigger per kind of destination, duplicates across its topics,
    // and triggers it must never see.
    let mut expected = Vec::new();
    for (signal, to) in [
        ("away.room", json!([{"topic": "room"}])),
        ("away.other", json!([{"topic": "elsewhere"}])),
        ("away.user", json!([{"user": "u1"}])),
        ("away.other_user", json!([{"user": "u2"}])),
        ("away.window", json!([{"window": key}])),
        ("away.session", json!([{"session": "s1"}])),
        ("away.all", json!(["broadcast"])),
        (
            "away.overlap",
            json!([{"topic": "room"}, "broadcast", {"user": "u1"}, {"user": "u2"}]),
        ),
    ] {
        let id = trigger(&server, signal, to).await;
        if !signal.contains("other") {
            expected.push((signal, id));
        }
    }

    let resumed = connect(&server, &key, Some(&since)).await;
    assert_eq!(resumed.position["recovered"], json!(true));
    let got: Vec<(&str, &str)> = resumed
        .replayed
        .iter()
        .map(|f| {
            (
                f["signal"].as_str().unwrap(),
                f["signal_id"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, &str)> = expected.iter().map(|(s, id)| (*s, id.as_str())).collect();
    assert_eq!(
        got, want,
        "everything it missed, once each, in trigger order"
    );
    let offsets: Vec<u64> = resumed
        .replayed
        .iter()
        .map(|f| f["offset"].as_u64().unwrap())
        .collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
    assert!(
        resumed
            .replayed
            .iter()
            .all(|f| f.as_object().unwrap().len() == 4),
        "replayed frames are the live frames, nothing about other topics"
    );
    assert_eq!(
        resumed.position["position"]["offset"].as_u64().unwrap(),
        *offsets.last().unwrap(),
        "the position covers the replay"
    );
    let mut client = resumed.client;
    trigger(&server, "live.after", json!([{"topic": "room"}])).await;
    assert_eq!(client.recv_raw().await["signal"], json!("live.after"));
    client.expect_silence().await;
}

#[tokio::test]
async fn coming_back_with_nothing_missed_recovers_nothing() {
    let server = TestServer::start();
    let key = server.register(json!({"topics": ["room"]})).await;
    let first = connect(&server, &key, None).await;
    let since = since_of(&first.position);
    first.client.close().await;
    trigger(&server, "not.mine", json!([{"topic": "elsewhere"}])).await;
    let resumed = connect(&server, &key, Some(&since)).await;
    assert!(resumed.replayed.is_empty());
    assert_eq!(resumed.position["recovered"], json!(true));
}

/// The failing rows of Centrifugo's recovery table, and a malformed `since`: nothing is
/// replayed, `recovered` is false, and the position is the history's top.
#[tokio::test]
async fn positions_that_cannot_be_recovered_replay_nothing() {
    let server = TestServer::start_with(with_history(3, 300), |b| b);
    let key = server.register(json!({"topics": ["room"]})).await;
    let first = connect(&server, &key, None).await;
    let start = since_of(&first.position);
    let epoch = first.position["position"]["epoch"]
        .as_str()
        .unwrap()
        .to_owned();
    first.client.close().await;
    for _ in 0..5 {
        trigger(&server, "gap.t", json!([{"topic": "room"}])).await;
    }
    let top = first.position["position"]["offset"].as_u64().unwrap() + 5;
    for (case, since) in [
        ("more than history_size missed", start),
        ("another epoch", format!("zz{}:{top}", &epoch[2..])),
        ("a future position", format!("{epoch}:{}", top + 1)),
        ("malformed", "nonsense".to_owned()),
        ("malformed offset", format!("{epoch}:-1")),
    ] {
        let resumed = connect(&server, &key, Some(&since)).await;
        assert!(resumed.replayed.is_empty(), "{case}: no partial replay");
        assert_eq!(resumed.position["recovered"], json!(false), "{case}");
        assert_eq!(
            resumed.position["position"],
            json!({"epoch": epoch, "offset": top}),
            "{case}"
        );
        resumed.client.close().await;
    }
    // The oldest position still covered by every kept entry recovers.
    let resumed = connect(&server, &key, Some(&format!("{epoch}:{}", top - 3))).await;
    assert_eq!(resumed.position["recovered"], json!(true));
    assert_eq!(names(&resumed.replayed), ["gap.t"; 3]);
}

#[tokio::test]
async fn more_than_recovery_max_is_not_recovered() {
    let config = Config {
        recovery_max: 2,
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    let key = server.register(json!({"topics": ["a", "b"]})).await;
    let first = connect(&server, &key, None).await;
    let since = since_of(&first.position);
    first.client.close().await;
    trigger(&server, "m.a", json!([{"topic": "a"}])).await;
    trigger(&server, "m.b", json!([{"topic": "b"}])).await;
    let two = connect(&server, &key, Some(&since)).await;
    assert_eq!(two.position["recovered"], json!(true));
    assert_eq!(names(&two.replayed), ["m.a", "m.b"]);
    two.client.close().await;
    trigger(&server, "m.c", json!([{"topic": "a"}])).await;
    let three = connect(&server, &key, Some(&since)).await;
    assert_eq!(three.position["recovered"], json!(false));
    assert!(three.replayed.is_empty());
}

#[tokio::test]
async fn more_bytes_than_the_outbound_queue_takes_is_not_recovered() {
    let config = Config {
        outbound_queue_bytes: 4096,
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    let key = server.register(json!({"topics": ["a"]})).await;
    let first = connect(&server, &key, None).await;
    let since = since_of(&first.position);
    first.client.close().await;
    let send = |pad: usize| {
        server.trigger(
            json!({"signal": "m.big", "opts": {"pad": "x".repeat(pad)}, "to": [{"topic": "a"}]}),
        )
    };
    send(1500).await;
    send(1500).await;
    let two = connect(&server, &key, Some(&since)).await;
    assert_eq!(two.position["recovered"], json!(true), "3 KB fit");
    assert_eq!(two.replayed.len(), 2);
    two.client.close().await;
    send(1500).await;
    let three = connect(&server, &key, Some(&since)).await;
    assert_eq!(
        three.position["recovered"],
        json!(false),
        "4.5 KB would close the connection as too slow"
    );
    assert!(three.replayed.is_empty());
    let outcome = "switchboard_recoveries_total{outcome=\"too_large\"}";
    assert_eq!(server.metric(outcome).await, 1.0);
}

#[tokio::test]
async fn expired_history_is_not_recovered() {
    let server = TestServer::start_with(with_history(100, 1), |b| b);
    let key = server.register(json!({"topics": ["room"]})).await;
    let first = connect(&server, &key, None).await;
    let since = since_of(&first.position);
    first.client.close().await;
    trigger(&server, "old.t", json!([{"topic": "room"}])).await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    trigger(&server, "new.t", json!([{"topic": "elsewhere"}])).await;
    let resumed = connect(&server, &key, Some(&since)).await;
    assert_eq!(resumed.position["recovered"], json!(false));
    assert!(resumed.replayed.is_empty());
}

#[tokio::test]
async fn a_restarted_node_starts_a_new_epoch() {
    let first = TestServer::start();
    let key = first.register(json!({"topics": ["room"]})).await;
    let before = connect(&first, &key, None).await;
    let since = since_of(&before.position);
    drop(before);
    drop(first);
    let second = TestServer::start();
    let key = second.register(json!({"topics": ["room"]})).await;
    let resumed = connect(&second, &key, Some(&since)).await;
    assert_eq!(resumed.position["recovered"], json!(false));
    assert_ne!(
        resumed.position["position"]["epoch"],
        json!(since.split(':').next().unwrap())
    );
}

#[tokio::test]
async fn a_topic_removed_while_away_is_not_replayed() {
    let server = TestServer::start();
    let key = server.register(json!({"topics": ["a", "b"]})).await;
    let first = connect(&server, &key, None).await;
    let since = since_of(&first.position);
    first.client.close().await;
    trigger(&server, "t.a", json!([{"topic": "a"}])).await;
    trigger(&server, "t.b", json!([{"topic": "b"}])).await;
    let response = server
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/windows/{key}/topics"),
        )
        .json(&json!({"remove": ["b"], "add": ["c"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    trigger(&server, "t.c", json!([{"topic": "c"}])).await;
    let resumed = connect(&server, &key, Some(&since)).await;
    assert_eq!(resumed.position["recovered"], json!(true));
    assert_eq!(
        names(&resumed.replayed),
        ["t.a", "t.c"],
        "b was left while away; c was joined while away, and its history is the window's now"
    );
}

/// Triggers keep coming while a window drops and comes back: across both connections it
/// receives each of them exactly once, in order.
#[tokio::test]
async fn live_signals_during_a_recovery_are_neither_lost_nor_doubled() {
    const TOTAL: u64 = 400;
    let server = TestServer::start();
    let key = server.register(json!({"topics": ["busy"]})).await;
    let Resumed {
        client, position, ..
    } = connect(&server, &key, None).await;
    let router = server.router.clone();
    let sender = tokio::spawn(async move {
        for n in 0..TOTAL {
            router
                .trigger((), "busy.n", To::topic("busy").unwrap(), json!({ "n": n }))
                .await
                .unwrap();
            // About 100 ms in all: the window is away for a part of it.
            if n % 4 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    let (seen, mut client) = count_across_a_drop(client, &position, 20, TOTAL, |since| {
        let server = &server;
        let key = &key;
        async move { connect(server, key, Some(&since)).await }
    })
    .await;
    sender.await.unwrap();
    assert_eq!(seen, (0..TOTAL).collect::<Vec<_>>(), "each once, in order");
    client.expect_silence().await;
}

#[tokio::test]
async fn without_history_frames_carry_no_offset_and_recoveries_fail() {
    let server = TestServer::start_with(with_history(0, 300), |b| b);
    let key = server.register(json!({"topics": ["room"]})).await;
    let mut client = Client::connect(&server, Some(&key)).await;
    trigger(&server, "plain.t", json!([{"topic": "room"}])).await;
    let frame = client.recv_raw().await;
    assert_eq!(frame.as_object().unwrap().len(), 3, "{frame}");
    let fresh = connect(&server, &key, None).await;
    assert_eq!(fresh.position, json!({"position": null}));
    let resumed = connect(&server, &key, Some("abc:1")).await;
    assert_eq!(
        resumed.position,
        json!({"position": null, "recovered": false})
    );
    let response = server
        .api(reqwest::Method::GET, "/api/v1/topics/room/history")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("not_found"));
}

#[tokio::test]
async fn the_history_api_reads_a_topic_and_its_position() {
    let server = TestServer::start_with(with_history(3, 300), |b| b);
    let get = |path: String| {
        let request = server.api(reqwest::Method::GET, &path);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, empty) = get("/api/v1/topics/room/history?limit=0".into()).await;
    assert_eq!(status, 200);
    let epoch = empty["position"]["epoch"].as_str().unwrap().to_owned();
    let start = empty["position"]["offset"].as_u64().unwrap();
    assert_eq!(empty["publications"], json!([]));
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            server
                .trigger(json!({"signal": "h.t", "opts": {"n": n}, "to": [{"topic": "room"}]}))
                .await,
        );
    }
    trigger(&server, "h.other", json!([{"topic": "other"}])).await;
    let (_, latest) = get("/api/v1/topics/room/history?limit=2".into()).await;
    assert_eq!(latest["topic"], json!("room"));
    assert_eq!(latest["position"]["offset"], json!(start + 6));
    assert_eq!(latest["complete"], json!(true));
    assert_eq!(
        latest["publications"],
        json!([
            {"signal": "h.t", "opts": {"n": 3}, "signal_id": ids[3], "offset": start + 4},
            {"signal": "h.t", "opts": {"n": 4}, "signal_id": ids[4], "offset": start + 5},
        ])
    );
    let since = format!("{epoch}:{}", start + 3);
    let (_, after) = get(format!("/api/v1/topics/room/history?since={since}")).await;
    assert_eq!(after["publications"].as_array().unwrap().len(), 2);
    assert_eq!(after["complete"], json!(true));
    let (_, gap) = get(format!("/api/v1/topics/room/history?since={epoch}:{start}")).await;
    assert_eq!(gap["complete"], json!(false), "two were pushed out");
    let (_, stale) = get("/api/v1/topics/room/history?since=other:1".into()).await;
    assert_eq!(stale["complete"], json!(false));
    assert_eq!(stale["publications"], json!([]));
    let (_, implicit) = get("/api/v1/topics/-broadcast/history".into()).await;
    assert_eq!(implicit["publications"], json!([]));
    for (path, message) in [
        ("/api/v1/topics/room/history?since=x", "`since`"),
        ("/api/v1/topics/room/history?limit=-1", "query"),
        ("/api/v1/topics/room/history?limit=10001", "`limit`"),
        ("/api/v1/topics/room/history?what=1", "query"),
        ("/api/v1/topics/a%0Ab/history", "control"),
    ] {
        let (status, body) = get(path.into()).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], json!("bad_request"));
        let text = body["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{path}: {text}");
    }
    let unauthorized = reqwest::get(server.url("/api/v1/topics/room/history"))
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
}

/// The set of every offset a window saw is what it would send back: make sure a client that
/// takes the highest offset as its position is right to (offsets only grow on a connection).
#[tokio::test]
async fn offsets_only_grow_on_a_connection() {
    let server = TestServer::start();
    let key = server.register(json!({"topics": ["x", "y"]})).await;
    let Resumed { mut client, .. } = connect(&server, &key, None).await;
    let routers = [server.router.clone(), server.router.clone()];
    let mut tasks = Vec::new();
    for (i, router) in routers.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            for n in 0..100 {
                let topic = if (n + i) % 2 == 0 { "x" } else { "y" };
                router
                    .trigger((), "grow.t", To::topic(topic).unwrap(), json!({}))
                    .await
                    .unwrap();
            }
        }));
    }
    let mut offsets = BTreeSet::new();
    let mut last = 0;
    for _ in 0..200 {
        let offset = client.recv_raw().await["offset"].as_u64().unwrap();
        assert!(offset > last, "{offset} after {last}");
        last = offset;
        offsets.insert(offset);
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(offsets.len(), 200);
}
