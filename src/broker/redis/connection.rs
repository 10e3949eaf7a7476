//! The connection to Redis: standalone or cluster, multiplexed, reconnecting by itself.
//!
//! Every operation goes through [`bounded`], so a caller waits at most
//! [`OPERATION_TIMEOUT`] and then gets [`BrokerError::Unavailable`] (503).

use std::time::Duration;

use redis::aio::{AsyncPushSender, ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{ProtocolVersion, RedisFuture, Value};

use super::RedisConfig;
use crate::broker::BrokerError;

/// Longest a Redis operation may take before the caller gets `Unavailable` (503).
pub(super) const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);

/// Longest wait for a new connection to be established.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);

/// Longest wait between two reconnection attempts to a standalone Redis.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// One connection to standalone Redis or to a cluster, both multiplexed, reconnecting and
/// resubscribing by themselves.
#[derive(Clone)]
pub(super) enum Connection {
    /// A single Redis: classic pub/sub.
    Standalone(ConnectionManager),
    /// A Redis Cluster: sharded pub/sub, each channel on the node owning its slot.
    Cluster(ClusterConnection),
}

impl Connection {
    /// Connects as `config` says, handing every push (pub/sub message, disconnection) to
    /// `pushes`.
    pub(super) async fn open(
        config: &RedisConfig,
        pushes: impl AsyncPushSender,
    ) -> Result<Connection, BrokerError> {
        if config.cluster {
            Connection::cluster(&config.url, pushes).await
        } else {
            Connection::standalone(&config.url, pushes)
        }
    }

    /// A cluster connection to the comma-separated seed nodes of `urls`. The cluster must
    /// answer now, to tell its slots.
    async fn cluster(urls: &str, pushes: impl AsyncPushSender) -> Result<Connection, BrokerError> {
        let seeds: Vec<String> = urls.split(',').map(|s| s.trim().to_owned()).collect();
        let client = ClusterClientBuilder::new(seeds)
            .use_protocol(ProtocolVersion::RESP3)
            .push_sender(pushes)
            .connection_timeout(CONNECTION_TIMEOUT)
            .response_timeout(OPERATION_TIMEOUT)
            .build()
            .map_err(unavailable)?;
        Ok(Connection::Cluster(
            bounded(client.get_async_connection()).await?,
        ))
    }

    /// A lazy connection to a single Redis: nothing is sent until the first command, and it
    /// retries for ever, so a node starts even while Redis is down.
    fn standalone(url: &str, pushes: impl AsyncPushSender) -> Result<Connection, BrokerError> {
        let client = redis::Client::open(resp3_url(url)).map_err(unavailable)?;
        let manager_config = ConnectionManagerConfig::new()
            .set_push_sender(pushes)
            .set_automatic_resubscription()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(OPERATION_TIMEOUT))
            .set_max_delay(MAX_RECONNECT_DELAY);
        Ok(Connection::Standalone(
            ConnectionManager::new_lazy_with_config(client, manager_config).map_err(unavailable)?,
        ))
    }

    /// The publish command of this mode.
    pub(super) fn publish_command(&self) -> &'static str {
        match self {
            Connection::Standalone(_) => "PUBLISH",
            Connection::Cluster(_) => "SPUBLISH",
        }
    }

    /// Subscribes to channels: in one command on a single Redis; one command per channel on
    /// a cluster, where each channel's slot decides the node (a multi-channel `SSUBSCRIBE`
    /// must stay within one slot).
    pub(super) async fn subscribe(&mut self, channels: &[String]) -> redis::RedisResult<()> {
        match self {
            Connection::Standalone(conn) => conn.subscribe(channels).await,
            Connection::Cluster(conn) => {
                for channel in channels {
                    conn.ssubscribe(channel).await?;
                }
                Ok(())
            }
        }
    }

    /// Unsubscribes from channels, like [`Connection::subscribe`].
    pub(super) async fn unsubscribe(&mut self, channels: &[String]) -> redis::RedisResult<()> {
        match self {
            Connection::Standalone(conn) => conn.unsubscribe(channels).await,
            Connection::Cluster(conn) => {
                for channel in channels {
                    conn.sunsubscribe(channel).await?;
                }
                Ok(())
            }
        }
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Standalone(conn) => conn.req_packed_command(cmd),
            Connection::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Standalone(conn) => conn.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Standalone(conn) => conn.get_db(),
            Connection::Cluster(conn) => conn.get_db(),
        }
    }
}

/// A Redis failure as the broker reports it.
pub(super) fn unavailable(error: impl std::fmt::Display) -> BrokerError {
    BrokerError::Unavailable(format!("redis: {error}"))
}

/// Runs a Redis operation within [`OPERATION_TIMEOUT`].
pub(super) async fn bounded<T>(
    operation: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, BrokerError> {
    match tokio::time::timeout(OPERATION_TIMEOUT, operation).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(unavailable(e)),
        Err(_) => Err(unavailable("no answer in time")),
    }
}

/// Asks for RESP3 (needed for pub/sub on a multiplexed connection) unless the URL chose.
fn resp3_url(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_ask_for_resp3() {
        assert_eq!(resp3_url("redis://h:1/"), "redis://h:1/?protocol=resp3");
        assert_eq!(
            resp3_url("redis://h/0?x=1"),
            "redis://h/0?x=1&protocol=resp3"
        );
        assert_eq!(
            resp3_url("redis://h/?protocol=resp3"),
            "redis://h/?protocol=resp3"
        );
    }
}
