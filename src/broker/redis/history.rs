//! Topic history in Redis: one stream per topic, one sequence for every node, and the Lua
//! scripts that append, publish and read atomically (PROTOCOL.md §5.6, §8).
//!
//! # Keys
//!
//! With the prefix `P` and a topic channel `C` (`P topic:NAME`):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `P history` | hash, no TTL | `epoch`, `seq` (the last offset given out), `clock_at` |
//! | `P history:clock` | sorted set | samples `offset → time (ms)`, at most one a second, to date positions |
//! | `{C}:history` | stream, TTL `history_ttl` after its last append | entries `<offset>-0` with field `f`: the frame, offset included |
//! | `{C}:history:meta` | hash, same TTL | `epoch` the stream belongs to, `dropped` (highest offset trimmed) |
//!
//! The braces make the channel name the hash tag of its two keys, so they share the slot of the
//! channel. Losing `P history` (a Redis restarted without persistence) makes the next append
//! start a new epoch; a stream of an older epoch is emptied at its next append and ignored by
//! reads until then.
//!
//! # Order
//!
//! One script gives the trigger its offset, appends it to each topic's stream and publishes it,
//! atomically: every node reads the channels of one Redis on one connection, so it receives
//! triggers in offset order, and a connection's position can be the highest offset it saw.
//!
//! On a Redis Cluster a script only reaches the keys and sharded channels of one slot, and
//! channels of different slots reach a node on different connections, with no order between
//! them. So there, every history key takes the hash tag `{P history}` (`{P history}`,
//! `{P history}:clock`, `{P history}:topic:NAME`, `{P history}:topic:NAME:meta`) and the
//! script publishes each trigger once, on the sharded channel `{P history}:triggers`, which
//! every node listens to: one shard orders and carries every trigger kept in history (as one
//! standalone Redis does), while registrations still spread over the cluster.

use std::time::Duration;

use bytestring::ByteString;
use redis::Value;
use uuid::Uuid;

use super::connection::{bounded, unavailable, Connection};
use crate::broker::{
    BrokerError, Entry, HistorySettings, Position, Recovery, RecoveryFailure, TopicHistory,
};

/// Gives a trigger the next offset, appends it to each topic's stream (trimmed to the size),
/// and publishes it on each channel given, the header and the frame both carrying the offset.
/// KEYS: history hash, clock, then per topic its stream and meta. ARGV: candidate epoch, size,
/// ttl (ms), header (a JSON object), frame (a JSON object), the publish command (`PUBLISH`
/// or `SPUBLISH`), then the channels. Returns {offset, epoch}.
const PUBLISH: &str = r#"
local hist, clock = KEYS[1], KEYS[2]
local size, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('HSETNX', hist, 'epoch', ARGV[1])
local epoch = redis.call('HGET', hist, 'epoch')
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local top = tonumber(redis.call('HGET', hist, 'seq') or '0')
if now - tonumber(redis.call('HGET', hist, 'clock_at') or '0') >= 1000 then
  redis.call('ZADD', clock, now, string.format('%d', top))
  redis.call('HSET', hist, 'clock_at', now)
  redis.call('ZREMRANGEBYSCORE', clock, '-inf', '(' .. string.format('%d', now - ttl - 1000))
end
local offset = redis.call('HINCRBY', hist, 'seq', 1)
local number = string.format('%d', offset)
local frame = string.sub(ARGV[5], 1, -2) .. ',"offset":' .. number .. '}'
local message = string.sub(ARGV[4], 1, -2) .. ',"offset":' .. number .. '}\n' .. frame
for i = 1, (#KEYS - 2) / 2 do
  local stream, meta = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
  if redis.call('HGET', meta, 'epoch') ~= epoch then
    redis.call('DEL', stream)
    redis.call('HSET', meta, 'epoch', epoch, 'dropped', '0')
  end
  redis.call('XADD', stream, number .. '-0', 'f', frame)
  local length = redis.call('XLEN', stream)
  if length > size then
    local old = redis.call('XRANGE', stream, '-', '+', 'COUNT', length - size)
    redis.call('XTRIM', stream, 'MAXLEN', size)
    redis.call('HSET', meta, 'dropped', string.match(old[#old][1], '^(%d+)'))
  end
  redis.call('PEXPIRE', stream, ttl)
  redis.call('PEXPIRE', meta, ttl)
end
for i = 7, #ARGV do
  redis.call(ARGV[6], ARGV[i], message)
end
return {offset, epoch}
"#;

/// Reads what topics received after a position. KEYS: history hash, clock, then per topic its
/// stream and meta. ARGV: candidate epoch, the position's epoch, its offset, ttl (ms), most
/// entries per topic. Returns {epoch, top, outcome, [offset, frame]...} where outcome is `ok`
/// or why not.
const RECOVER: &str = r#"
local hist, clock = KEYS[1], KEYS[2]
redis.call('HSETNX', hist, 'epoch', ARGV[1])
local epoch = redis.call('HGET', hist, 'epoch')
local top = tonumber(redis.call('HGET', hist, 'seq') or '0')
local since = tonumber(ARGV[3])
if ARGV[2] ~= epoch then return {epoch, top, 'epoch'} end
if since > top then return {epoch, top, 'future'} end
if since == top then return {epoch, top, 'ok'} end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local dated = redis.call('ZRANGEBYSCORE', clock, now - tonumber(ARGV[4]), '+inf', 'LIMIT', 0, 1)
if #dated == 0 or tonumber(dated[1]) > since then return {epoch, top, 'expired'} end
local out = {epoch, top, 'ok'}
local from = '(' .. string.format('%d', since) .. '-0'
for i = 1, (#KEYS - 2) / 2 do
  local stream, meta = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
  if redis.call('HGET', meta, 'epoch') == epoch then
    if tonumber(redis.call('HGET', meta, 'dropped') or '0') > since then
      return {epoch, top, 'evicted'}
    end
    for _, entry in ipairs(redis.call('XRANGE', stream, from, '+', 'COUNT', ARGV[5])) do
      table.insert(out, entry[1])
      table.insert(out, entry[2][2])
    end
  end
end
return out
"#;

/// Reads one topic for the API. KEYS: history hash, clock, stream, meta. ARGV: candidate
/// epoch, since (-1 for none), limit, ttl (ms). Returns {epoch, top, complete (0/1),
/// [offset, frame]...}, oldest first.
const READ: &str = r#"
local hist, clock, stream, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
redis.call('HSETNX', hist, 'epoch', ARGV[1])
local epoch = redis.call('HGET', hist, 'epoch')
local top = tonumber(redis.call('HGET', hist, 'seq') or '0')
local since, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local current = redis.call('HGET', meta, 'epoch') == epoch
local out = {epoch, top, 1}
if since >= 0 and since < top then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local dated = redis.call('ZRANGEBYSCORE', clock, now - tonumber(ARGV[4]), '+inf', 'LIMIT', 0, 1)
  local dropped = current and tonumber(redis.call('HGET', meta, 'dropped') or '0') or 0
  if #dated == 0 or tonumber(dated[1]) > since or dropped > since then out[3] = 0 end
end
if limit == 0 or not current then return out end
local entries
if since >= 0 then
  entries = redis.call('XRANGE', stream, '(' .. string.format('%d', since) .. '-0', '+', 'COUNT', limit)
else
  entries = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', limit)
  local oldest_first = {}
  for i = #entries, 1, -1 do table.insert(oldest_first, entries[i]) end
  entries = oldest_first
end
for _, entry in ipairs(entries) do
  table.insert(out, entry[1])
  table.insert(out, entry[2][2])
end
return out
"#;

/// The epoch and top offset, starting an epoch when there is none. KEYS: history hash.
/// ARGV: candidate epoch. Returns {epoch, top}.
const POSITION: &str = r#"
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
return {redis.call('HGET', KEYS[1], 'epoch'), tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')}
"#;

/// Where a broker's history lives, and how much of it.
pub(super) struct HistoryKeys {
    /// `P history` (`{P history}` on a cluster).
    hash: String,
    /// `P history:clock`.
    clock: String,
    /// On a cluster, the one sharded channel every trigger kept in history is published on
    /// (`{P history}:triggers`); `None` on a standalone Redis, where each topic's channel is.
    pub(super) funnel: Option<String>,
    /// Sizes and times.
    pub(super) settings: HistorySettings,
}

impl HistoryKeys {
    /// The keys under `prefix` on a standalone Redis.
    pub(super) fn standalone(prefix: &str, settings: HistorySettings) -> HistoryKeys {
        HistoryKeys {
            hash: format!("{prefix}history"),
            clock: format!("{prefix}history:clock"),
            funnel: None,
            settings,
        }
    }

    /// The keys under `prefix` on a Redis Cluster: all in the slot of `{P history}`.
    pub(super) fn cluster(prefix: &str, settings: HistorySettings) -> HistoryKeys {
        let tag = format!("{{{prefix}history}}");
        HistoryKeys {
            clock: format!("{tag}:clock"),
            funnel: Some(format!("{tag}:triggers")),
            hash: tag,
            settings,
        }
    }

    /// The stream and meta keys of a topic whose channel is `channel`.
    fn topic_keys(&self, channel: &str) -> (String, String) {
        let stream = match &self.funnel {
            // Same slot as every other history key.
            Some(_) => format!("{}:{channel}", self.hash),
            // Same slot as the topic's channel.
            None => format!("{{{channel}}}:history"),
        };
        let meta = format!("{stream}:meta");
        (stream, meta)
    }

    /// The channels a trigger to `channels` is published on, and with which command.
    fn publish_to<'a>(&'a self, channels: &'a [String]) -> (&'static str, &'a [String]) {
        match &self.funnel {
            Some(funnel) => ("SPUBLISH", std::slice::from_ref(funnel)),
            None => ("PUBLISH", channels),
        }
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.settings.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// A script invocation on the global keys then the stream and meta of each channel.
    fn invocation<'a>(
        &self,
        script: &'a redis::Script,
        channels: &[String],
    ) -> redis::ScriptInvocation<'a> {
        let mut invocation = script.prepare_invoke();
        invocation.key(&self.hash).key(&self.clock);
        for channel in channels {
            let (stream, meta) = self.topic_keys(channel);
            invocation.key(stream).key(meta);
        }
        invocation
    }
}

/// A candidate for a new epoch: used only when Redis holds none.
fn candidate_epoch() -> String {
    let mut epoch = Uuid::new_v4().simple().to_string();
    epoch.truncate(12);
    epoch
}

/// Runs [`PUBLISH`]: the trigger's offset.
pub(super) async fn publish(
    conn: &mut Connection,
    keys: &HistoryKeys,
    channels: &[String],
    header: &[u8],
    frame: &str,
) -> Result<u64, BrokerError> {
    let script = redis::Script::new(PUBLISH);
    let mut invocation = keys.invocation(&script, channels);
    let (command, targets) = keys.publish_to(channels);
    invocation
        .arg(candidate_epoch())
        .arg(keys.settings.size)
        .arg(keys.ttl_ms())
        .arg(header)
        .arg(frame)
        .arg(command)
        .arg(targets);
    let (offset, _epoch): (u64, String) = bounded(invocation.invoke_async(conn)).await?;
    Ok(offset)
}

/// Runs [`POSITION`].
pub(super) async fn position(
    conn: &mut Connection,
    keys: &HistoryKeys,
) -> Result<Position, BrokerError> {
    let (epoch, offset): (String, u64) = bounded(
        redis::Script::new(POSITION)
            .key(&keys.hash)
            .arg(candidate_epoch())
            .invoke_async(conn),
    )
    .await?;
    Ok(Position { epoch, offset })
}

/// Runs [`RECOVER`] for the channels of a window's topics.
pub(super) async fn recover(
    conn: &mut Connection,
    keys: &HistoryKeys,
    channels: &[String],
    since: &Position,
) -> Result<Recovery, BrokerError> {
    let script = redis::Script::new(RECOVER);
    let mut invocation = keys.invocation(&script, channels);
    let max = keys.settings.recovery_max;
    invocation
        .arg(candidate_epoch())
        .arg(&since.epoch)
        .arg(since.offset)
        .arg(keys.ttl_ms())
        .arg(max.saturating_add(1));
    let reply: Vec<Value> = bounded(invocation.invoke_async(conn)).await?;
    let (position, outcome, mut entries) = decode(reply)?;
    let reason = match outcome.as_str() {
        "ok" => None,
        "epoch" => Some(RecoveryFailure::Epoch),
        "future" => Some(RecoveryFailure::Future),
        "expired" => Some(RecoveryFailure::Expired),
        "evicted" => Some(RecoveryFailure::Evicted),
        other => return Err(unavailable(format!("unexpected recovery outcome {other}"))),
    };
    if let Some(reason) = reason {
        return Ok(Recovery::Failed {
            reason,
            position: Some(position),
        });
    }
    entries.sort_unstable_by_key(|e| e.offset);
    entries.dedup_by_key(|e| e.offset);
    if entries.len() > max {
        return Ok(Recovery::Failed {
            reason: RecoveryFailure::TooMany,
            position: Some(position),
        });
    }
    Ok(Recovery::Recovered { entries, position })
}

/// Runs [`READ`] on one topic's channel.
pub(super) async fn read(
    conn: &mut Connection,
    keys: &HistoryKeys,
    channel: &str,
    since: Option<u64>,
    limit: usize,
) -> Result<TopicHistory, BrokerError> {
    let script = redis::Script::new(READ);
    let mut invocation = keys.invocation(&script, &[channel.to_owned()]);
    invocation
        .arg(candidate_epoch())
        .arg(since.map_or(-1, |s| i64::try_from(s).unwrap_or(i64::MAX)))
        .arg(limit)
        .arg(keys.ttl_ms());
    let reply: Vec<Value> = bounded(invocation.invoke_async(conn)).await?;
    let (position, complete, entries) = decode(reply)?;
    Ok(TopicHistory {
        position,
        entries,
        complete: complete == "1",
    })
}

/// `{epoch, top, third, [id, frame]...}` into its parts (the third as text).
fn decode(reply: Vec<Value>) -> Result<(Position, String, Vec<Entry>), BrokerError> {
    let text = |value: &Value| -> Option<String> {
        match value {
            Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
            Value::SimpleString(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let malformed = || unavailable("unexpected reply from a history script");
    let mut items = reply.iter();
    let epoch = items.next().and_then(text).ok_or_else(malformed)?;
    let offset = items
        .next()
        .and_then(text)
        .and_then(|t| t.parse().ok())
        .ok_or_else(malformed)?;
    let third = items.next().and_then(text).ok_or_else(malformed)?;
    let mut entries = Vec::new();
    while let (Some(id), Some(frame)) = (items.next(), items.next()) {
        let id = text(id).ok_or_else(malformed)?;
        let offset = id
            .split('-')
            .next()
            .and_then(|o| o.parse().ok())
            .ok_or_else(malformed)?;
        let frame = text(frame).ok_or_else(malformed)?;
        entries.push(Entry {
            offset,
            frame: ByteString::from(frame),
        });
    }
    Ok((Position { epoch, offset }, third, entries))
}

/// How long a recovery waits for this node's subscriptions to a window's topics: reading the
/// history before would let a trigger published in between escape both the read and live
/// delivery.
pub(super) const SUBSCRIBED_WITHIN: Duration = Duration::from_secs(2);
