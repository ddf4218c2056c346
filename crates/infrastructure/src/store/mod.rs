//! The two adapters of the domain's `KeyValueStore` port (the Redis one in each Redis
//! layout: standalone, Sentinel, Cluster, with or without TLS).
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
    Heartbeat, KeySpace, RedisConnection, RedisEndpoint, RedisKeyValueStore,
    RedisKeyValueStoreParameters, RedisLayout, RedisNoticeListener, RedisTimeouts, RedisTls,
    redis_breaker,
};
