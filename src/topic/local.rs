//! This node's own copy of a connected window's topics, for when the broker cannot be asked.
//!
//! The [`TopicRegistry`] holds, for every connection of this node, the topics it is a member
//! of, kept current by every topic change the broker reports (this node's and the other
//! nodes'). While the broker is unreachable (a Redis outage) that copy is what a handler called
//! by a connected window goes by ([`ConnectionTopics`]).

use std::collections::BTreeSet;

use actix::prelude::*;

use super::{ConnId, RegistryHandle};

/// Asks the registry for the application topics of one connection (the implicit ones,
/// which start with `-`, left out); `None` when the connection is not (or no longer) there.
#[derive(Message)]
#[rtype(result = "Option<BTreeSet<String>>")]
pub struct ApplicationTopicsOf(pub ConnId);

/// One connection of this node, as its registry knows it: a way to read its topics without
/// the broker. Cheap to clone.
#[derive(Clone)]
pub struct ConnectionTopics {
    /// The registry holding the connection.
    registry: RegistryHandle,
    /// The connection.
    conn: ConnId,
}

impl ConnectionTopics {
    /// The connection `conn` of `registry`.
    pub fn new(registry: RegistryHandle, conn: ConnId) -> ConnectionTopics {
        ConnectionTopics { registry, conn }
    }

    /// The connection's application topics as this node last heard of them; `None` when the
    /// connection is gone.
    pub fn application_topics(&self) -> Option<BTreeSet<String>> {
        self.registry.application_topics(self.conn)
    }
}

impl std::fmt::Debug for ConnectionTopics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ConnectionTopics").field(&self.conn).finish()
    }
}
