//! Topics: named groups of windows, who is in which, and window registrations.
//!
//! Server code puts windows into topics; a trigger to a topic reaches every window in it.
//! [`Windows`] registers windows and changes their topics cluster-wide, through the broker.
//! [`TopicRegistry`] is the actor that holds topic → connections and connection → topics for
//! the connections of this node, and fans deliveries out to them. Neither knows anything of
//! HTTP, websockets or frames: connections are [`Member`]s that take already-serialised bytes.

mod history;
mod local;
mod member;
mod name;
mod registry;
mod windows;

pub use history::History;
pub use local::ConnectionTopics;
pub use member::{Eviction, Member};
pub(crate) use name::topic_names;
pub use name::{InvalidTopic, TopicName, TopicRule, MAX_TOPIC_LEN};
pub use registry::{
    ConnId, EvictAll, Join, Leave, MembersOf, RegistryHandle, RegistryStats, SetTopics,
    SharedMember, Stats, TopicRegistry,
};
pub use windows::{RegisterError, RegistrationSettings, TopicsError, Windows};
