//! The index of live registrations, `P windows`: what bounds them to `max_windows` across
//! every node sharing the Redis.
//!
//! A sorted set of window keys, each scored by when its registration expires (Unix time in
//! milliseconds, Redis's own clock). A registration first reserves its place here, atomically:
//! the script drops the members whose time has passed and refuses a new key when as many live
//! ones remain as the limit allows; a key already in the index (re-registered) always gets
//! its place. Renewals move the score, deletions remove the member.
//!
//! The index is one key, so each of its scripts reaches one slot, also on a Redis Cluster,
//! where the window's own keys (hash tag `{KEY}`) live in another slot: the reservation and
//! the registration are two steps, not one transaction. A registration that fails after its
//! reservation (Redis lost mid-way) keeps its place until its time-to-live passes; a renewal
//! that reached the window but not the index lets the index forget the window early (it
//! then counts one less until its next renewal). A window registered by hand, with plain
//! Redis commands, is not counted until a connection renews it.

use redis::Value;

use super::connection::{bounded, unavailable, Connection};
use crate::broker::BrokerError;

/// Reserves a place for a registration. KEYS: the index. ARGV: window key, time-to-live
/// (ms), maximum. Returns {1, live count} when stored, {0, live count} when refused.
const RESERVE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expires = now + tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
local known = score and tonumber(score) > now
if not known then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return {0, redis.call('ZCARD', KEYS[1])}
  end
end
redis.call('ZADD', KEYS[1], expires, ARGV[1])
return {1, redis.call('ZCARD', KEYS[1])}
";

/// Moves a renewed registration's expiry. KEYS: the index. ARGV: window key, time-to-live
/// (ms).
const RENEW: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
";

/// Counts the live registrations. KEYS: the index.
const COUNT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
";

/// The name of the index for a key prefix.
pub(super) fn index_key(prefix: &str) -> String {
    format!("{prefix}windows")
}

/// Runs [`RESERVE`]: whether `key` may be registered for `ttl_ms` with at most `max` live
/// registrations.
pub(super) async fn reserve(
    conn: &mut Connection,
    index: &str,
    key: &str,
    ttl_ms: u64,
    max: usize,
) -> Result<bool, BrokerError> {
    let reply: Value = bounded(
        redis::Script::new(RESERVE)
            .key(index)
            .arg(key)
            .arg(ttl_ms)
            .arg(max)
            .invoke_async(conn),
    )
    .await?;
    match reply {
        Value::Array(items) => match items.first() {
            Some(Value::Int(stored)) => Ok(*stored == 1),
            _ => Err(unavailable("unexpected reply to a registration")),
        },
        _ => Err(unavailable("unexpected reply to a registration")),
    }
}

/// Runs [`RENEW`]: `key` now expires `ttl_ms` from now.
pub(super) async fn renew(
    conn: &mut Connection,
    index: &str,
    key: &str,
    ttl_ms: u64,
) -> Result<(), BrokerError> {
    bounded(
        redis::Script::new(RENEW)
            .key(index)
            .arg(key)
            .arg(ttl_ms)
            .invoke_async::<i64>(conn),
    )
    .await
    .map(drop)
}

/// Removes `key` from the index.
pub(super) async fn remove(
    conn: &mut Connection,
    index: &str,
    key: &str,
) -> Result<(), BrokerError> {
    bounded(
        redis::cmd("ZREM")
            .arg(index)
            .arg(key)
            .query_async::<i64>(conn),
    )
    .await
    .map(drop)
}

/// Runs [`COUNT`]: the live registrations.
pub(super) async fn count(conn: &mut Connection, index: &str) -> Result<u64, BrokerError> {
    bounded(
        redis::Script::new(COUNT)
            .key(index)
            .invoke_async::<u64>(conn),
    )
    .await
}
