//! The Redis adapter of the key-value store, and its per-process notice listener, for
//! every Redis layout (standalone, Sentinel, Cluster; TLS in each — see [`connection`]).
//!
//! Commands go through one [`RedisConnection`]: multiplexed, reconnecting by itself.
//! Each command runs through a [`Breaker`] (fail fast while Redis is known to be
//! down); one that fails because its connection broke — as the first command after a
//! Redis restart or a failover does — is sent once more on the new connection.
//! Operations that must be atomic run as Lua scripts on one key each, which Redis
//! executes without interleaving other clients' commands; in a cluster a script runs
//! on the one slot of its key.

pub mod connection;

pub use connection::{RedisConnection, RedisEndpoint, RedisLayout, RedisTls};

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use qblog_domain::store::{CasOutcome, Counter, KeyValueStore, StoreError, Subscription};
use redis::{RedisError, Script};
use shaku::Component;
use tokio::task::JoinHandle;

use super::NoticeHub;
use crate::resilience::{Breaker, Outage};

/// Compare the value, write the new one keeping the TTL, publish: one atomic step.
/// Replies `{0}` when missing, `{1, current}` on mismatch, `{2}` when swapped.
static COMPARE_AND_SET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('GET', KEYS[1])
if not current then return {0, false} end
if current ~= ARGV[1] then return {1, current} end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[2]) end
return {2, false}
",
    )
});

/// A value and its time to live in milliseconds (`-2` when there is no key), read
/// together: a script, because a cluster runs MULTI only on one node it must pick.
static GET_WITH_TTL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
",
    )
});

/// Lua that counts one in the fixed-window counter `KEYS[1]` (the first count sets the
/// window's deadline, `ARGV[1]` ms) and leaves `count` and its `ttl` in locals.
const COUNT_IN_KEYS_1: &str = r"
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
";

/// Fixed-window counter: the first increment sets the window's deadline.
static INCREMENT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{COUNT_IN_KEYS_1}return {{count, ttl}}")));

/// Takes one back from a live counter, never below zero, keeping its TTL.
static DECREMENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local count = tonumber(redis.call('GET', KEYS[1]))
if count and count > 0 then redis.call('DECR', KEYS[1]) end
return 0
",
    )
});

/// Adds a member to a set and lengthens (never shortens) the set's time to live;
/// replies the set's size.
static ADD_TO_SET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('SCARD', KEYS[1])
",
    )
});

/// Where one deployment's keys and notice channels live inside a shared Redis.
///
/// In a cluster every key carries a hash tag: the feature's key in braces
/// (`qblog:{qrcode:<id>}`), so the slot depends on the code, session or counter
/// alone — different ones spread over every master, while everything one atomic
/// operation touches (one key, today; later several keys of one code) shares a slot.
/// Elsewhere keys stay as they always were (`qblog:qrcode:<id>`), so that instances
/// of an older release sharing the Redis keep finding them.
#[derive(Debug, Clone)]
pub struct KeySpace {
    prefix: String,
    tagged: bool,
}

impl KeySpace {
    /// A key space whose keys all start with `prefix` (e.g. `qblog:`).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            tagged: false,
        }
    }

    /// The same key space with hash tags, for a cluster.
    #[must_use]
    pub fn with_hash_tags(mut self) -> Self {
        self.tagged = true;
        self
    }

    /// The Redis key for a feature's key.
    pub fn key(&self, key: &str) -> String {
        if self.tagged {
            format!("{}{{{key}}}", self.prefix)
        } else {
            format!("{}{key}", self.prefix)
        }
    }

    /// Whether keys carry hash tags (a cluster: keys of different features are in
    /// different slots).
    pub fn is_tagged(&self) -> bool {
        self.tagged
    }

    /// The Redis channel for a feature's notice channel.
    pub fn channel(&self, channel: &str) -> String {
        format!("{}notice:{channel}", self.prefix)
    }

    /// The pattern that matches every notice channel of this key space.
    pub fn channel_pattern(&self) -> String {
        let mut pattern = String::new();
        for c in self.channel("").chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('*');
        pattern
    }

    /// The feature's channel name behind a Redis channel of this key space.
    pub fn feature_channel<'a>(&self, redis_channel: &'a str) -> Option<&'a str> {
        redis_channel.strip_prefix(&self.channel(""))
    }
}

/// How long Redis may take (`redis.connect_timeout_ms`, `redis.command_timeout_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisTimeouts {
    /// To open a connection.
    pub connect: Duration,
    /// For a command's answer, once connected.
    pub command: Duration,
}

impl RedisTimeouts {
    /// The longest a command can take: finding the node (asking the sentinels,
    /// connecting) included — the breaker's limit.
    pub fn per_call(self) -> Duration {
        self.connect * 2 + self.command
    }
}

impl Default for RedisTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(1000),
            command: Duration::from_millis(500),
        }
    }
}

/// A breaker for Redis over `connection`, whose probe pings every node holding data.
pub fn redis_breaker(connection: &RedisConnection, timeouts: RedisTimeouts) -> Breaker {
    let connection = connection.clone();
    Breaker::new(
        "redis",
        timeouts.per_call(),
        Arc::new(move || {
            let connection = connection.clone();
            Box::pin(async move { connection.ping().await.is_ok() })
        }),
    )
}

/// A `KeyValueStore` in a Redis shared by every instance of the service.
#[derive(Component)]
#[shaku(interface = KeyValueStore)]
pub struct RedisKeyValueStore {
    /// The multiplexed connection; clone per command.
    connection: RedisConnection,
    /// The deployment's prefix.
    keys: KeySpace,
    /// Where this process's [`RedisNoticeListener`] delivers notices.
    hub: Arc<NoticeHub>,
    /// Made with [`redis_breaker`] over the same connection.
    breaker: Breaker,
}

impl Outage for StoreError {
    fn is_outage(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    fn circuit_open(dependency: &'static str) -> Self {
        Self::Unavailable(format!(
            "the {dependency} circuit is open: failing fast until it answers again"
        ))
    }

    fn timed_out(dependency: &'static str, limit: Duration) -> Self {
        Self::Unavailable(format!("{dependency} did not answer within {limit:?}"))
    }
}

/// Whether a command failed because its connection broke before an answer came
/// (or, with Sentinel, reached a master that was demoted):
/// sent again, it goes over the manager's new connection. (A connection that broke
/// after Redis ran the command makes it run twice; every operation here tolerates
/// that — see the callers of `retried`.) A timeout is not a broken connection: Redis
/// is slow or frozen, and asking again would only double the wait.
fn connection_broke(err: &RedisError) -> bool {
    !err.is_timeout()
        && (err.is_connection_dropped()
            || err.is_connection_refusal()
            || err.is_io_error()
            || err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly))
}

/// Whether an error means Redis (or the layout's node for this key) cannot serve now,
/// as opposed to a bug: broken connections and timeouts, a Sentinel that names no
/// master, a cluster that is down, failing over, or not a cluster at all.
fn is_outage(err: &RedisError) -> bool {
    use redis::ErrorKind as Kind;
    use redis::ServerErrorKind as Server;
    err.is_io_error()
        || err.is_timeout()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || matches!(
            err.kind(),
            Kind::ClusterConnectionNotFound
                | Kind::MasterNameNotFoundBySentinel
                | Kind::NoValidReplicasFoundBySentinel
                | Kind::Server(
                    Server::BusyLoading
                        | Server::Moved
                        | Server::Ask
                        | Server::TryAgain
                        | Server::ClusterDown
                        | Server::MasterDown
                        | Server::ReadOnly
                        | Server::CrossSlot
                )
        )
}

fn store_error(err: RedisError) -> StoreError {
    if err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::Moved) {
        // Only a plain connection sees MOVED: the cluster client follows it.
        tracing::error!(
            error = %err,
            "Redis answered MOVED: redis.url names a node of a Redis Cluster; list the \
             cluster's nodes in redis.cluster.nodes instead"
        );
    }
    if is_outage(&err) {
        StoreError::Unavailable(err.to_string())
    } else {
        StoreError::Unexpected(anyhow::Error::new(err).context("redis command failed"))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl RedisKeyValueStore {
    /// A store over `connection` in the key space `keys`, whose notices arrive through
    /// `hub` (fed by a [`RedisNoticeListener`] on the same key space).
    pub fn new(
        connection: RedisConnection,
        keys: KeySpace,
        hub: Arc<NoticeHub>,
        timeouts: RedisTimeouts,
    ) -> Self {
        let breaker = redis_breaker(&connection, timeouts);
        Self {
            connection,
            keys,
            hub,
            breaker,
        }
    }

    /// Runs `attempt` through the breaker, once more when its connection broke.
    async fn retried<T, F>(&self, attempt: impl Fn(RedisConnection) -> F) -> Result<T, StoreError>
    where
        F: std::future::Future<Output = Result<T, RedisError>>,
    {
        self.breaker
            .run(async {
                match attempt(self.connection.clone()).await {
                    Err(err) if connection_broke(&err) => {
                        tracing::debug!(error = %err, "redis connection broke; sending again");
                        attempt(self.connection.clone()).await.map_err(store_error)
                    }
                    other => other.map_err(store_error),
                }
            })
            .await
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        self.retried(|mut connection| async move { cmd.query_async(&mut connection).await })
            .await
    }
}

#[async_trait]
impl KeyValueStore for RedisKeyValueStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.query(redis::cmd("GET").arg(self.keys.key(key))).await
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if self.keys.is_tagged() {
            // A cluster refuses an MGET across slots: the GETs go at once instead.
            let reads = keys.iter().map(|key| self.get(key));
            return futures_util::future::try_join_all(reads).await;
        }
        let mut cmd = redis::cmd("MGET");
        for key in keys {
            cmd.arg(self.keys.key(key));
        }
        self.query(&cmd).await
    }

    async fn get_with_ttl(&self, key: &str) -> Result<Option<(String, Duration)>, StoreError> {
        // One round trip, and the key cannot expire between the two reads.
        let invocation = GET_WITH_TTL.key(self.keys.key(key));
        let (value, ttl_ms): (Option<String>, i64) = self
            .retried(|mut connection| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        // PTTL: -2 for no key, -1 for none set (this adapter always sets one).
        Ok(value.zip(u64::try_from(ttl_ms).ok().map(Duration::from_millis)))
    }

    async fn count_and_get(
        &self,
        counter: &str,
        window: Duration,
        key: &str,
    ) -> Result<(Counter, Option<(String, Duration)>), StoreError> {
        if self.keys.is_tagged() {
            // A cluster: the two keys live in different slots, which no one script may
            // touch. Both commands go at once, still one round trip of waiting.
            return tokio::try_join!(self.increment(counter, window), self.get_with_ttl(key));
        }
        // Plain commands sent in one write and answered in one reply: they cost Redis
        // about half the CPU the same work as a script does (docs/perf.md). The window's
        // deadline is set by the request that finds the counter without one: the first
        // of the window, or the next one if that request's PEXPIRE was lost.
        let counter = self.keys.key(counter);
        let record = self.keys.key(key);
        let mut pipeline = redis::pipe();
        pipeline
            .cmd("INCR")
            .arg(&counter)
            .cmd("PTTL")
            .arg(&counter)
            .cmd("GET")
            .arg(&record)
            .cmd("PTTL")
            .arg(&record);
        // Run twice, the attempt counts twice: a limit errs on the safe side.
        let (count, counter_ttl, value, ttl_ms): (u64, i64, Option<String>, i64) = self
            .retried(|mut connection| {
                let pipeline = &pipeline;
                async move { pipeline.query_async(&mut connection).await }
            })
            .await?;
        let resets_in = match u64::try_from(counter_ttl) {
            Ok(ms) => Duration::from_millis(ms),
            Err(_) => {
                self.query::<()>(redis::cmd("PEXPIRE").arg(&counter).arg(millis(window)))
                    .await?;
                window
            }
        };
        // PTTL: -2 for no key, -1 for none set (this adapter always sets one); a record
        // that expired between the two reads is gone.
        Ok((
            Counter { count, resets_in },
            value.zip(u64::try_from(ttl_ms).ok().map(Duration::from_millis)),
        ))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let cmd = redis::cmd("SET")
            .arg(self.keys.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .to_owned();
        self.query::<()>(&cmd).await
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let cmd = redis::cmd("SET")
            .arg(self.keys.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .to_owned();
        let reply: Option<String> = self.query(&cmd).await?;
        Ok(reply.is_some())
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let removed: u64 = self
            .query(redis::cmd("DEL").arg(self.keys.key(key)))
            .await?;
        Ok(removed > 0)
    }

    async fn compare_and_set<'a>(
        &self,
        key: &str,
        expected: &str,
        new: &str,
        notify: Option<&'a str>,
    ) -> Result<CasOutcome, StoreError> {
        let channel = notify.map(|c| self.keys.channel(c)).unwrap_or_default();
        let mut invocation = COMPARE_AND_SET.key(self.keys.key(key));
        invocation.arg(expected).arg(new).arg(channel);
        // Run twice, a swap answers `Mismatch` with what it wrote: callers read again.
        let (status, current): (i64, Option<String>) = self
            .retried(|mut connection| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        match (status, current) {
            (0, _) => Ok(CasOutcome::Missing),
            (1, Some(current)) => Ok(CasOutcome::Mismatch { current }),
            (2, _) => Ok(CasOutcome::Swapped),
            (other, _) => Err(StoreError::Unexpected(anyhow::anyhow!(
                "compare-and-set script replied {other}"
            ))),
        }
    }

    async fn add_to_set(&self, key: &str, member: &str, ttl: Duration) -> Result<u64, StoreError> {
        let mut invocation = ADD_TO_SET.key(self.keys.key(key));
        invocation.arg(member).arg(millis(ttl));
        // Run twice, it adds the same member twice: a set keeps one.
        self.retried(|mut connection| {
            let invocation = &invocation;
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await
    }

    async fn remove_from_set(&self, key: &str, members: &[String]) -> Result<(), StoreError> {
        if members.is_empty() {
            return Ok(());
        }
        let cmd = redis::cmd("SREM")
            .arg(self.keys.key(key))
            .arg(members)
            .to_owned();
        self.query::<u64>(&cmd).await.map(|_| ())
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        self.query(redis::cmd("SMEMBERS").arg(self.keys.key(key)))
            .await
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<Counter, StoreError> {
        let mut invocation = INCREMENT.key(self.keys.key(key));
        invocation.arg(millis(window));
        // Run twice, a counter counts one extra attempt: a limit errs on the safe side.
        let (count, ttl_ms): (u64, u64) = self
            .retried(|mut connection| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        Ok(Counter {
            count,
            resets_in: Duration::from_millis(ttl_ms),
        })
    }

    async fn decrement(&self, key: &str) -> Result<(), StoreError> {
        let invocation = DECREMENT.key(self.keys.key(key));
        self.retried(|mut connection| {
            let invocation = &invocation;
            async move { invocation.invoke_async::<i64>(&mut connection).await }
        })
        .await
        .map(|_| ())
    }

    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, StoreError> {
        let ttl: i64 = self
            .query(redis::cmd("PTTL").arg(self.keys.key(key)))
            .await?;
        // -2: no such key; -1: a key without expiry, which this adapter never writes.
        Ok(u64::try_from(ttl).ok().map(Duration::from_millis))
    }

    async fn publish(&self, channel: &str, message: &str) -> Result<(), StoreError> {
        let cmd = redis::cmd("PUBLISH")
            .arg(self.keys.channel(channel))
            .arg(message)
            .to_owned();
        self.query::<i64>(&cmd).await.map(|_| ())
    }

    async fn subscribe(&self, channel: &str) -> Result<Box<dyn Subscription>, StoreError> {
        Ok(Box::new(self.hub.subscribe(channel)))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let connection = self.connection.clone();
        self.breaker
            .run(async move { connection.ping().await.map_err(store_error) })
            .await
    }
}

/// How the notice subscription checks that its connection is alive.
///
/// A subscribed connection only ever receives, so a connection that went half-open (a
/// dropped NAT entry, a failover behind a proxy) would otherwise look like a quiet one
/// until the kernel gives up on it, minutes later; waiting long-polls would sleep through
/// every change meanwhile. A ping that gets no answer in time replaces the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// How long the subscription may be quiet before it is pinged.
    pub every: Duration,
    /// How long the ping's answer may take.
    pub timeout: Duration,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(15),
            timeout: Duration::from_secs(5),
        }
    }
}

/// How long the waiters' re-reads after a reconnection are spread over.
pub const RESYNC_SPREAD: Duration = Duration::from_millis(500);

/// The longest pause between two attempts of the notice listener to reconnect.
pub const MAX_RECONNECT_PAUSE: Duration = Duration::from_millis(800);

/// The process's one Redis subscription: a pattern over every notice channel of the
/// key space, fanned out in-process through the [`NoticeHub`].
///
/// It reconnects by itself with a growing pause (at most `MAX_RECONNECT_PAUSE`, 0.8 s,
/// so it is back within a second of Redis), also when its [`Heartbeat`] goes
/// unanswered; after each (re)connection every subscriber gets a `Resync`, since
/// notices sent while it was away are lost. Dropping the listener stops it.
pub struct RedisNoticeListener {
    task: JoinHandle<()>,
}

impl RedisNoticeListener {
    /// Starts listening in the background with the default [`Heartbeat`]. Must be
    /// called inside a Tokio runtime.
    pub fn spawn(endpoint: RedisEndpoint, keys: KeySpace, hub: Arc<NoticeHub>) -> Self {
        Self::spawn_with_heartbeat(endpoint, keys, hub, Heartbeat::default())
    }

    /// Starts listening in the background, pinging as `heartbeat` says.
    pub fn spawn_with_heartbeat(
        endpoint: RedisEndpoint,
        keys: KeySpace,
        hub: Arc<NoticeHub>,
        heartbeat: Heartbeat,
    ) -> Self {
        let task = tokio::spawn(async move {
            const FIRST_PAUSE: Duration = Duration::from_millis(100);
            let mut pause = FIRST_PAUSE;
            for attempt in 0.. {
                let mut subscribed = false;
                match listen(&endpoint, attempt, &keys, &hub, heartbeat, &mut subscribed).await {
                    Ok(()) => tracing::warn!("redis notice subscription ended; reconnecting"),
                    Err(err) => {
                        tracing::warn!(error = %err, "redis notice subscription failed");
                    }
                }
                // A subscription that worked for a while starts the back-off afresh.
                if subscribed {
                    pause = FIRST_PAUSE;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_RECONNECT_PAUSE);
            }
        });
        Self { task }
    }
}

impl Drop for RedisNoticeListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn listen(
    endpoint: &RedisEndpoint,
    attempt: usize,
    keys: &KeySpace,
    hub: &NoticeHub,
    heartbeat: Heartbeat,
    subscribed: &mut bool,
) -> anyhow::Result<()> {
    // Connecting and subscribing are bounded like the ping: a connection a proxy
    // swallowed would otherwise keep the listener waiting for good, and every
    // long-poll sleeping through its changes.
    let mut pubsub = tokio::time::timeout(heartbeat.timeout, endpoint.pubsub(attempt))
        .await
        .map_err(|_| anyhow::anyhow!("no connection within {:?}", heartbeat.timeout))??;
    tokio::time::timeout(heartbeat.timeout, pubsub.psubscribe(keys.channel_pattern()))
        .await
        .map_err(|_| anyhow::anyhow!("no answer to SUBSCRIBE within {:?}", heartbeat.timeout))??;
    *subscribed = true;
    tracing::debug!("redis notice subscription active");
    // Every waiter looks again, spread out: ten thousand waiting long-polls must not
    // all read the store in the same millisecond.
    hub.resync_all_within(RESYNC_SPREAD);
    let (mut sink, mut messages) = pubsub.split();
    loop {
        // Any message proves the connection alive; only a quiet one is pinged.
        let message = match tokio::time::timeout(heartbeat.every, messages.next()).await {
            Ok(Some(message)) => message,
            Ok(None) => return Ok(()),
            Err(_quiet) => {
                match tokio::time::timeout(heartbeat.timeout, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => continue,
                    Ok(Err(err)) => return Err(err.into()),
                    Err(_) => anyhow::bail!(
                        "no answer to the subscription's ping within {:?}",
                        heartbeat.timeout
                    ),
                }
            }
        };
        let Some(channel) = keys.feature_channel(message.get_channel_name()) else {
            continue;
        };
        match message.get_payload::<String>() {
            Ok(payload) => hub.publish(channel, &payload),
            Err(err) => tracing::warn!(error = %err, channel, "unreadable notice dropped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeySpace;

    #[test]
    fn keys_and_channels_carry_the_prefix() {
        let keys = KeySpace::new("qblog:");
        assert_eq!(keys.key("session:1"), "qblog:session:1");
        assert_eq!(keys.channel("qrcode:9"), "qblog:notice:qrcode:9");
        assert_eq!(
            keys.feature_channel("qblog:notice:qrcode:9"),
            Some("qrcode:9")
        );
        assert_eq!(keys.feature_channel("other:notice:qrcode:9"), None);
    }

    #[test]
    fn glob_characters_in_the_prefix_are_escaped_in_the_pattern() {
        let keys = KeySpace::new("a*b?[c]:");
        assert_eq!(keys.channel_pattern(), r"a\*b\?\[c\]:notice:*");
    }
}
