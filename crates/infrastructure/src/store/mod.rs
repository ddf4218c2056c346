//! The two adapters of the domain's `KeyValueStore` port.
//!
//! Both give the same answers to the same calls — `tests/store_behaviour.rs` runs one
//! suite against each. Change notices reach subscribers through a [`NoticeHub`]: the
//! embedded store publishes into it directly, the Redis store through one pattern
//! subscription per process ([`RedisNoticeListener`]), so a thousand waiting long-polls
//! cost one Redis connection, not a thousand.

mod embedded;
mod hub;
mod redis;

pub use embedded::EmbeddedKeyValueStore;
pub use hub::{HubSubscription, NoticeHub};
pub use redis::{
    Heartbeat, KeySpace, RedisKeyValueStore, RedisKeyValueStoreParameters, RedisNoticeListener,
    RedisTimeouts, redis_breaker, redis_connection_manager,
};
