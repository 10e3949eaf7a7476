//! Topics: named groups of windows, and the registry that tracks who is where on this node.
//!
//! Server code puts windows into topics; a trigger to a topic reaches every window in it.
//! [`TopicRegistry`] is the actor that holds topic → connections and connection → topics for
//! the connections of this node, and fans deliveries out to their [`Outbox`]es. It knows
//! nothing of HTTP or websocket frames: it moves already-serialised frames into bounded queues.

mod name;
mod outbox;
mod registry;

pub use name::{
    session_topic, user_topic, validate_topic, window_topic, InvalidTopic, BROADCAST, MAX_TOPIC_LEN,
};
pub use outbox::{Outbox, OutboxReceiver, Outgoing};
pub use registry::{
    CloseAll, ConnId, Join, Leave, MembersOf, RegistryStats, SetTopics, Stats, TopicRegistry,
};
