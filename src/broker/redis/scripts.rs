//! The Lua scripts that change a window atomically, and typed calls to them.
//!
//! Both keys of a window share a hash tag, so a script touching them runs on one cluster node.

use redis::Value;

use super::connection::{bounded, unavailable, Connection};
use super::WindowKeys;
use crate::broker::{BrokerError, TopicChange, WindowRecord};
use crate::identity::WindowInfo;

/// Atomically adds then removes topics of a live window and bumps its version, unless it
/// would end up in more than the maximum of topics (then it undoes the change).
/// KEYS: hash, topic set. ARGV: maximum, number of added topics, added..., removed...
/// Returns nil for an unknown window, -1 for too many topics, else {version, info, topics...}.
const CHANGE_TOPICS: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local max = tonumber(ARGV[1])
local added = tonumber(ARGV[2])
local new, gone = {}, {}
for i = 3, added + 2 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then table.insert(new, ARGV[i]) end
end
for i = added + 3, #ARGV do
  if redis.call('SREM', KEYS[2], ARGV[i]) == 1 then table.insert(gone, ARGV[i]) end
end
if redis.call('SCARD', KEYS[2]) > max then
  for _, topic in ipairs(new) do redis.call('SREM', KEYS[2], topic) end
  for _, topic in ipairs(gone) do redis.call('SADD', KEYS[2], topic) end
  return -1
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
local result = {version, redis.call('HGET', KEYS[1], 'info')}
for _, topic in ipairs(redis.call('SMEMBERS', KEYS[2])) do table.insert(result, topic) end
return result
";

/// Renews a live window for its own TTL. KEYS: hash, topic set. Returns the TTL in seconds
/// if it was alive, else 0.
const TOUCH: &str = r"
local ttl = tonumber(redis.call('HGET', KEYS[1], 'ttl'))
if not ttl or ttl < 1 then return 0 end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return ttl
";

/// Runs [`CHANGE_TOPICS`] on a window: adds `add`, then removes `remove`, unless it would
/// end up in more than `max_topics` topics. The record it returns has `ttl_secs` 0.
pub(super) async fn change_topics(
    conn: &mut Connection,
    keys: &WindowKeys,
    add: &[String],
    remove: &[String],
    max_topics: usize,
) -> Result<TopicChange, BrokerError> {
    let script = redis::Script::new(CHANGE_TOPICS);
    let mut invocation = script.key(&keys.hash);
    invocation
        .key(&keys.topics)
        .arg(max_topics)
        .arg(add.len())
        .arg(add)
        .arg(remove);
    let reply: Value = bounded(invocation.invoke_async(conn)).await?;
    decode_change(reply)
}

/// The outcome of a topic change from [`CHANGE_TOPICS`]'s reply.
fn decode_change(reply: Value) -> Result<TopicChange, BrokerError> {
    let unexpected = || unavailable("unexpected reply to a topic change");
    let reply = match reply {
        Value::Nil => return Ok(TopicChange::Unknown),
        Value::Int(-1) => return Ok(TopicChange::TooMany),
        Value::Array(items) => items,
        _ => return Err(unexpected()),
    };
    let mut items = reply.into_iter();
    let version = match items.next() {
        Some(Value::Int(v)) => v as u64,
        _ => return Err(unexpected()),
    };
    let info: WindowInfo = match items.next() {
        Some(Value::BulkString(info)) => serde_json::from_slice(&info)
            .map_err(|e| unavailable(format!("malformed window record: {e}")))?,
        _ => return Err(unexpected()),
    };
    let topics = items
        .filter_map(|v| match v {
            Value::BulkString(t) => String::from_utf8(t).ok(),
            _ => None,
        })
        .collect();
    Ok(TopicChange::Changed(WindowRecord {
        info,
        topics,
        version,
        ttl_secs: 0,
    }))
}

/// Runs [`TOUCH`] on a window: renews it for its own TTL. Returns that TTL in seconds if it
/// was alive.
pub(super) async fn touch(
    conn: &mut Connection,
    keys: &WindowKeys,
) -> Result<Option<u64>, BrokerError> {
    let ttl: i64 = bounded(
        redis::Script::new(TOUCH)
            .key(&keys.hash)
            .key(&keys.topics)
            .invoke_async(conn),
    )
    .await?;
    Ok(u64::try_from(ttl).ok().filter(|ttl| *ttl > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_replies_decode_to_outcomes() {
        assert_eq!(decode_change(Value::Nil).unwrap(), TopicChange::Unknown);
        assert_eq!(decode_change(Value::Int(-1)).unwrap(), TopicChange::TooMany);
        assert!(decode_change(Value::Int(3)).is_err());
        assert!(decode_change(Value::Array(vec![Value::Int(2)])).is_err());
    }

    #[test]
    fn a_change_decodes_to_the_new_record() {
        let info = WindowInfo {
            language: Some("en".into()),
            ..WindowInfo::default()
        };
        let reply = Value::Array(vec![
            Value::Int(7),
            Value::BulkString(serde_json::to_vec(&info).unwrap()),
            Value::BulkString(b"room:b".to_vec()),
            Value::BulkString(b"room:a".to_vec()),
        ]);
        let TopicChange::Changed(record) = decode_change(reply).unwrap() else {
            panic!("a change");
        };
        assert_eq!(record.version, 7);
        assert_eq!(record.info, info);
        assert_eq!(
            record.topics.into_iter().collect::<Vec<_>>(),
            ["room:a", "room:b"]
        );
        assert_eq!(record.ttl_secs, 0);
    }
}
