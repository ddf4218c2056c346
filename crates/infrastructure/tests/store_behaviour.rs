//! One behaviour suite for both `KeyValueStore` adapters.
//!
//! Every scenario runs against the embedded store and against Redis
//! (`QBLOG_TEST_REDIS_URL`; required under `CI=true`), each Redis test in its own
//! key prefix.

use std::sync::Arc;
use std::time::Duration;

use qblog_domain::store::{CasOutcome, KeyValueStore, Notice, Subscription};
use qblog_infrastructure::store::{
    EmbeddedKeyValueStore, KeySpace, NoticeHub, RedisEndpoint, RedisKeyValueStore, RedisLayout,
    RedisNoticeListener, RedisTimeouts,
};
use qblog_infrastructure::testing::{
    FaultRelay, REDIS_URL_VAR, matrix_url, redis_layout, redis_tls, unique_redis_prefix,
};

/// Redis time limits for the suite: the defaults, unhurried.
const TIMEOUTS: RedisTimeouts = RedisTimeouts {
    connect: Duration::from_secs(2),
    command: Duration::from_secs(2),
};

fn quick_timeouts() -> RedisTimeouts {
    RedisTimeouts {
        connect: Duration::from_millis(300),
        command: Duration::from_millis(300),
    }
}

/// One Redis server at `url`, with the matrix's TLS material for `rediss://`.
fn standalone(url: &str, timeouts: RedisTimeouts) -> RedisEndpoint {
    let layout = RedisLayout::Standalone {
        url: url.to_owned(),
    };
    RedisEndpoint::new(&layout, &redis_tls(), timeouts).expect("a valid url")
}

/// The matrix's server `url`, reached through `relay` instead.
fn through(relay: &FaultRelay, url: &str) -> String {
    url.replace(&redis_authority(url), &relay.address().to_string())
}

/// A store under test, with whatever must live as long as it does.
struct Subject {
    store: Arc<dyn KeyValueStore>,
    _listener: Option<RedisNoticeListener>,
}

fn embedded() -> Subject {
    Subject {
        store: Arc::new(EmbeddedKeyValueStore::default()),
        _listener: None,
    }
}

/// A Redis store in a fresh prefix, whose notice listener is already subscribed.
async fn redis() -> Option<Subject> {
    redis_in(unique_redis_prefix()).await
}

/// A Redis store in the key prefix `prefix`, whose notice listener is subscribed.
async fn redis_in(prefix: String) -> Option<Subject> {
    let (layout, tls) = redis_layout()?;
    let endpoint = RedisEndpoint::new(&layout, &tls, TIMEOUTS).expect("a usable layout");
    let connection = endpoint.connection().expect("a connection");
    let keys = KeySpace::new(prefix);
    let keys = if endpoint.is_cluster() {
        keys.with_hash_tags()
    } else {
        keys
    };
    let hub = Arc::new(NoticeHub::default());
    // Wait for the listener's first Resync: from then on no notice can be missed.
    let mut probe = hub.subscribe("probe");
    let listener = RedisNoticeListener::spawn(endpoint, keys.clone(), Arc::clone(&hub));
    let first = tokio::time::timeout(Duration::from_secs(5), probe.next()).await;
    assert_eq!(
        first,
        Ok(Some(Notice::Resync)),
        "{REDIS_URL_VAR} does not answer"
    );
    Some(Subject {
        store: Arc::new(RedisKeyValueStore::new(connection, keys, hub, TIMEOUTS)),
        _listener: Some(listener),
    })
}

/// Declares the scenario `$name` once per adapter.
macro_rules! both_adapters {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn embedded() {
                super::$name(super::embedded().store).await;
            }

            #[tokio::test]
            async fn redis() {
                if let Some(subject) = super::redis().await {
                    super::$name(Arc::clone(&subject.store)).await;
                }
            }

            use std::sync::Arc;
        }
    };
}

async fn next_notice(subscription: &mut Box<dyn Subscription>) -> Option<Notice> {
    tokio::time::timeout(Duration::from_secs(2), subscription.next())
        .await
        .ok()
        .flatten()
}

const MINUTE: Duration = Duration::from_secs(60);

both_adapters!(a_value_set_is_read_back_and_a_missing_one_is_none);
async fn a_value_set_is_read_back_and_a_missing_one_is_none(store: Arc<dyn KeyValueStore>) {
    assert_eq!(store.get("missing").await.ok(), Some(None));
    store.set("k", "v1", MINUTE).await.expect("set");
    assert_eq!(store.get("k").await.ok(), Some(Some("v1".to_owned())));
    store.set("k", "v2", MINUTE).await.expect("overwrite");
    assert_eq!(store.get("k").await.ok(), Some(Some("v2".to_owned())));
}

both_adapters!(a_value_expires_after_its_ttl);
async fn a_value_expires_after_its_ttl(store: Arc<dyn KeyValueStore>) {
    store
        .set("short", "v", Duration::from_millis(150))
        .await
        .expect("set");
    let left = store.time_to_live("short").await.expect("ttl");
    assert!(
        left.is_some_and(|d| d <= Duration::from_millis(150)),
        "{left:?}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(store.get("short").await.ok(), Some(None));
    assert_eq!(store.time_to_live("short").await.ok(), Some(None));
}

both_adapters!(a_value_is_read_with_the_time_it_has_left);
async fn a_value_is_read_with_the_time_it_has_left(store: Arc<dyn KeyValueStore>) {
    assert_eq!(store.get_with_ttl("missing").await.ok(), Some(None));
    store.set("timed", "v", MINUTE).await.expect("set");
    let (value, left) = store
        .get_with_ttl("timed")
        .await
        .expect("read")
        .expect("live");
    assert_eq!(value, "v");
    assert!(
        left <= MINUTE && left > MINUTE - Duration::from_secs(5),
        "{left:?}"
    );
    store
        .set("short", "v", Duration::from_millis(100))
        .await
        .expect("set");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.get_with_ttl("short").await.ok(), Some(None));
}

both_adapters!(set_if_absent_writes_only_once);
async fn set_if_absent_writes_only_once(store: Arc<dyn KeyValueStore>) {
    assert_eq!(
        store.set_if_absent("once", "a", MINUTE).await.ok(),
        Some(true)
    );
    assert_eq!(
        store.set_if_absent("once", "b", MINUTE).await.ok(),
        Some(false)
    );
    assert_eq!(store.get("once").await.ok(), Some(Some("a".to_owned())));
}

both_adapters!(delete_says_whether_a_value_was_there);
async fn delete_says_whether_a_value_was_there(store: Arc<dyn KeyValueStore>) {
    store.set("gone", "v", MINUTE).await.expect("set");
    assert_eq!(store.delete("gone").await.ok(), Some(true));
    assert_eq!(store.delete("gone").await.ok(), Some(false));
    assert_eq!(store.get("gone").await.ok(), Some(None));
}

both_adapters!(compare_and_set_swaps_only_the_expected_value_and_keeps_the_ttl);
async fn compare_and_set_swaps_only_the_expected_value_and_keeps_the_ttl(
    store: Arc<dyn KeyValueStore>,
) {
    assert_eq!(
        store.compare_and_set("cas", "a", "b", None).await.ok(),
        Some(CasOutcome::Missing)
    );
    store
        .set("cas", "a", Duration::from_secs(30))
        .await
        .expect("set");
    assert_eq!(
        store.compare_and_set("cas", "x", "b", None).await.ok(),
        Some(CasOutcome::Mismatch {
            current: "a".to_owned()
        })
    );
    assert_eq!(
        store.compare_and_set("cas", "a", "b", None).await.ok(),
        Some(CasOutcome::Swapped)
    );
    assert_eq!(store.get("cas").await.ok(), Some(Some("b".to_owned())));
    let left = store
        .time_to_live("cas")
        .await
        .expect("ttl")
        .expect("still live");
    assert!(
        left <= Duration::from_secs(30) && left > Duration::from_secs(25),
        "{left:?}"
    );
}

both_adapters!(of_twenty_concurrent_swaps_exactly_one_wins);
async fn of_twenty_concurrent_swaps_exactly_one_wins(store: Arc<dyn KeyValueStore>) {
    store.set("race", "open", MINUTE).await.expect("set");
    let attempts: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .compare_and_set("race", "open", &format!("won by {i}"), None)
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.expect("joined").expect("answered") == CasOutcome::Swapped {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

both_adapters!(a_swap_notifies_subscribers_and_a_mismatch_does_not);
async fn a_swap_notifies_subscribers_and_a_mismatch_does_not(store: Arc<dyn KeyValueStore>) {
    let mut subscription = store.subscribe("watch").await.expect("subscribed");
    store.set("w", "1", MINUTE).await.expect("set");
    store
        .compare_and_set("w", "nope", "x", Some("watch"))
        .await
        .expect("answered");
    store
        .compare_and_set("w", "1", "2", Some("watch"))
        .await
        .expect("answered");
    assert_eq!(
        next_notice(&mut subscription).await,
        Some(Notice::Message("2".to_owned()))
    );
}

both_adapters!(published_messages_reach_subscribers_of_that_channel_only);
async fn published_messages_reach_subscribers_of_that_channel_only(store: Arc<dyn KeyValueStore>) {
    let mut mine = store.subscribe("mine").await.expect("subscribed");
    let mut other = store.subscribe("other").await.expect("subscribed");
    store.publish("mine", "hello").await.expect("published");
    assert_eq!(
        next_notice(&mut mine).await,
        Some(Notice::Message("hello".to_owned()))
    );
    let nothing = tokio::time::timeout(Duration::from_millis(200), other.next()).await;
    assert!(nothing.is_err(), "{nothing:?}");
}

both_adapters!(several_values_are_read_in_order_in_one_call);
async fn several_values_are_read_in_order_in_one_call(store: Arc<dyn KeyValueStore>) {
    store.set("a", "1", MINUTE).await.expect("set");
    store.set("c", "3", MINUTE).await.expect("set");
    let keys = ["a", "b", "c"].map(str::to_owned);
    assert_eq!(
        store.get_many(&keys).await.ok(),
        Some(vec![Some("1".to_owned()), None, Some("3".to_owned())])
    );
    assert_eq!(store.get_many(&[]).await.ok(), Some(Vec::new()));
}

both_adapters!(counting_and_reading_together_does_both);
async fn counting_and_reading_together_does_both(store: Arc<dyn KeyValueStore>) {
    store.set("record", "v", MINUTE).await.expect("set");
    let (first, value) = store
        .count_and_get("hits", MINUTE, "record")
        .await
        .expect("answered");
    assert_eq!(first.count, 1);
    assert!(first.resets_in <= MINUTE && first.resets_in > MINUTE / 2);
    let (value, left) = value.expect("the record");
    assert_eq!(value, "v");
    assert!(left <= MINUTE && left > MINUTE / 2);
    let (second, missing) = store
        .count_and_get("hits", MINUTE, "no-such-record")
        .await
        .expect("answered");
    assert_eq!(second.count, 2, "the same window");
    assert_eq!(missing, None);
}

both_adapters!(a_count_read_with_a_record_restarts_after_its_window);
async fn a_count_read_with_a_record_restarts_after_its_window(store: Arc<dyn KeyValueStore>) {
    let window = Duration::from_millis(300);
    for expected in 1..=2 {
        let (counted, _) = store
            .count_and_get("hits", window, "record")
            .await
            .expect("answered");
        assert_eq!(counted.count, expected);
        assert!(counted.resets_in <= window, "{:?}", counted.resets_in);
    }
    tokio::time::sleep(window + Duration::from_millis(200)).await;
    let (counted, _) = store
        .count_and_get("hits", window, "record")
        .await
        .expect("answered");
    assert_eq!(counted.count, 1, "a new window");
}

both_adapters!(a_counter_counts_within_its_window_and_restarts_after);
async fn a_counter_counts_within_its_window_and_restarts_after(store: Arc<dyn KeyValueStore>) {
    let window = Duration::from_millis(300);
    for expected in 1..=3 {
        let counter = store.increment("hits", window).await.expect("counted");
        assert_eq!(counter.count, expected);
        assert!(counter.resets_in <= window);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        store
            .increment("hits", window)
            .await
            .expect("counted")
            .count,
        1
    );
}

both_adapters!(a_decrement_takes_one_back_and_never_goes_below_zero);
async fn a_decrement_takes_one_back_and_never_goes_below_zero(store: Arc<dyn KeyValueStore>) {
    store.decrement("absent").await.expect("no-op");
    assert_eq!(store.get("absent").await.ok(), Some(None));
    store.increment("n", MINUTE).await.expect("counted");
    store.increment("n", MINUTE).await.expect("counted");
    store.decrement("n").await.expect("decremented");
    assert_eq!(store.get("n").await.ok(), Some(Some("1".to_owned())));
    store.decrement("n").await.expect("decremented");
    store.decrement("n").await.expect("decremented");
    assert_eq!(store.get("n").await.ok(), Some(Some("0".to_owned())));
    assert!(store.time_to_live("n").await.expect("ttl").is_some());
}

both_adapters!(a_set_holds_each_member_once_and_lives_as_long_as_its_longest_add);
async fn a_set_holds_each_member_once_and_lives_as_long_as_its_longest_add(
    store: Arc<dyn KeyValueStore>,
) {
    assert!(store.set_members("index").await.expect("read").is_empty());
    assert_eq!(store.add_to_set("index", "a", MINUTE).await.ok(), Some(1));
    assert_eq!(store.add_to_set("index", "b", MINUTE).await.ok(), Some(2));
    assert_eq!(store.add_to_set("index", "a", MINUTE).await.ok(), Some(2));
    let mut members = store.set_members("index").await.expect("read");
    members.sort();
    assert_eq!(members, ["a", "b"]);
    // A shorter add keeps the longer life; a longer one extends it.
    store
        .add_to_set("index", "c", Duration::from_millis(100))
        .await
        .expect("added");
    let left = store.time_to_live("index").await.expect("ttl");
    assert!(left.is_some_and(|d| d > MINUTE / 2), "{left:?}");
    store
        .add_to_set("index", "d", MINUTE * 10)
        .await
        .expect("added");
    let left = store.time_to_live("index").await.expect("ttl");
    assert!(left.is_some_and(|d| d > MINUTE * 9), "{left:?}");
    store
        .remove_from_set("index", &["a".to_owned(), "zz".to_owned()])
        .await
        .expect("removed");
    store.remove_from_set("index", &[]).await.expect("nothing");
    let mut members = store.set_members("index").await.expect("read");
    members.sort();
    assert_eq!(members, ["b", "c", "d"]);
    // A short-lived set disappears with its members.
    store
        .add_to_set("brief", "x", Duration::from_millis(100))
        .await
        .expect("added");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(store.set_members("brief").await.expect("read").is_empty());
}

both_adapters!(the_store_answers_a_ping);
async fn the_store_answers_a_ping(store: Arc<dyn KeyValueStore>) {
    assert!(store.ping().await.is_ok());
}

#[tokio::test]
async fn redis_key_prefixes_keep_deployments_apart() {
    let (Some(first), Some(second)) = (redis().await, redis().await) else {
        return;
    };
    first
        .store
        .set("shared-name", "first", MINUTE)
        .await
        .expect("set");
    assert_eq!(second.store.get("shared-name").await.ok(), Some(None));
}

#[tokio::test]
async fn a_notice_published_on_one_redis_store_reaches_a_subscriber_of_another() {
    // Two stores on one prefix are two instances of one deployment.
    let Some(url) = matrix_url(REDIS_URL_VAR) else {
        return;
    };
    let prefix = unique_redis_prefix();
    let instance = |hub: Arc<NoticeHub>| {
        let endpoint = standalone(&url, TIMEOUTS);
        let connection = endpoint.connection().expect("m");
        let keys = KeySpace::new(prefix.clone());
        let listener = RedisNoticeListener::spawn(endpoint, keys.clone(), Arc::clone(&hub));
        (
            RedisKeyValueStore::new(connection, keys, hub, TIMEOUTS),
            listener,
        )
    };
    let receiving_hub = Arc::new(NoticeHub::default());
    let mut subscription: Box<dyn Subscription> = Box::new(receiving_hub.subscribe("qr"));
    let (_receiver, _receiver_listener) = instance(Arc::clone(&receiving_hub));
    assert_eq!(next_notice(&mut subscription).await, Some(Notice::Resync));
    let (sender, _sender_listener) = instance(Arc::new(NoticeHub::default()));
    sender.set("code", "unscanned", MINUTE).await.expect("set");
    sender
        .compare_and_set("code", "unscanned", "scanned", Some("qr"))
        .await
        .expect("swapped");
    assert_eq!(
        next_notice(&mut subscription).await,
        Some(Notice::Message("scanned".to_owned()))
    );
}

#[tokio::test]
async fn an_unreachable_redis_is_reported_unavailable_not_hung() {
    let endpoint = standalone("redis://127.0.0.1:1", quick_timeouts());
    let quick = quick_timeouts();
    let connection = endpoint.connection().expect("m");
    let store = RedisKeyValueStore::new(
        connection,
        KeySpace::new(unique_redis_prefix()),
        Arc::new(NoticeHub::default()),
        quick,
    );
    let answer = tokio::time::timeout(Duration::from_secs(5), store.get("k"))
        .await
        .expect("answers within the timeout");
    assert!(
        matches!(answer, Err(qblog_domain::store::StoreError::Unavailable(_))),
        "{answer:?}"
    );
}

/// `host:port` of the matrix's Redis, for a relay in front of it.
fn redis_authority(url: &str) -> String {
    url.trim_start_matches("rediss://")
        .trim_start_matches("redis://")
        .rsplit('@')
        .next()
        .and_then(|authority| authority.split('/').next())
        .expect("host:port in the redis url")
        .to_owned()
}

/// A notice listener through `relay`, pinging every 200 ms, with a 300 ms timeout.
fn listener_through(
    relay: &FaultRelay,
    url: &str,
    keys: &KeySpace,
    hub: &Arc<NoticeHub>,
) -> RedisNoticeListener {
    use qblog_infrastructure::store::Heartbeat;

    let endpoint = standalone(&through(relay, url), TIMEOUTS);
    RedisNoticeListener::spawn_with_heartbeat(
        endpoint,
        keys.clone(),
        Arc::clone(hub),
        Heartbeat {
            every: Duration::from_millis(200),
            timeout: Duration::from_millis(300),
        },
    )
}

/// Publishes `message` on `channel` of `keys` straight to Redis.
async fn publish_directly(url: &str, keys: &KeySpace, channel: &str, message: &str) {
    let mut publisher = standalone(url, TIMEOUTS)
        .connection()
        .expect("a connection");
    let _: i64 = redis::cmd("PUBLISH")
        .arg(keys.channel(channel))
        .arg(message)
        .query_async(&mut publisher)
        .await
        .expect("published");
}

#[tokio::test]
async fn a_subscription_whose_connection_goes_silent_is_replaced_and_waiters_resync() {
    let Some(url) = matrix_url(REDIS_URL_VAR) else {
        return;
    };
    let relay = FaultRelay::start(redis_authority(&url)).await;
    let keys = KeySpace::new(unique_redis_prefix());
    let hub = Arc::new(NoticeHub::default());
    let mut waiter: Box<dyn Subscription> = Box::new(hub.subscribe("code"));
    let _listener = listener_through(&relay, &url, &keys, &hub);
    assert_eq!(next_notice(&mut waiter).await, Some(Notice::Resync));

    relay.stall_connections_up_to(relay.connections());
    // Only the heartbeat can notice: the socket stays open and nothing errors.
    let replaced = tokio::time::timeout(Duration::from_secs(5), waiter.next()).await;
    assert_eq!(
        replaced,
        Ok(Some(Notice::Resync)),
        "the silent connection was not replaced"
    );

    // The new subscription delivers again.
    publish_directly(&url, &keys, "code", "scanned").await;
    assert_eq!(
        next_notice(&mut waiter).await,
        Some(Notice::Message("scanned".to_owned()))
    );
}

#[tokio::test]
async fn a_subscription_that_never_gets_an_answer_gives_up_and_connects_again() {
    let Some(url) = matrix_url(REDIS_URL_VAR) else {
        return;
    };
    let relay = FaultRelay::start(redis_authority(&url)).await;
    // A proxy swallows the first connection: it opens, then nothing ever comes back.
    relay.stall_connections_up_to(1);
    let keys = KeySpace::new(unique_redis_prefix());
    let hub = Arc::new(NoticeHub::default());
    let mut waiter: Box<dyn Subscription> = Box::new(hub.subscribe("code"));
    let _listener = listener_through(&relay, &url, &keys, &hub);
    let subscribed = tokio::time::timeout(Duration::from_secs(5), waiter.next()).await;
    assert_eq!(
        subscribed,
        Ok(Some(Notice::Resync)),
        "the listener hung on its first connection"
    );
    assert!(relay.connections() >= 2);
    publish_directly(&url, &keys, "code", "scanned").await;
    assert_eq!(
        next_notice(&mut waiter).await,
        Some(Notice::Message("scanned".to_owned()))
    );
}

/// In a cluster, the keys of different codes and sessions spread over every master:
/// their hash tags are their own names, never one tag for all.
#[tokio::test]
async fn in_a_cluster_keys_spread_over_every_master() {
    let Some(nodes) = qblog_infrastructure::testing::cluster_nodes() else {
        return;
    };
    let prefix = unique_redis_prefix();
    let subject = redis_in(prefix.clone()).await.expect("the cluster answers");
    for n in 0..60 {
        subject
            .store
            .set(
                &format!("qrcode:{}", uuid::Uuid::new_v4()),
                &n.to_string(),
                MINUTE,
            )
            .await
            .expect("set");
    }
    // Every master, from the first answering seed's view of the cluster.
    let mut seed = None;
    for node in &nodes {
        let client = redis::Client::open(node.as_str()).expect("url");
        if let Ok(connection) = client.get_multiplexed_async_connection().await {
            seed = Some(connection);
            break;
        }
    }
    let mut connection = seed.expect("a seed answers");
    let topology: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut connection)
        .await
        .expect("cluster nodes");
    let masters: Vec<String> = topology
        .lines()
        .filter(|line| line.contains("master") && !line.contains("fail"))
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(|address| format!("redis://{}", address.split('@').next().unwrap_or(address)))
        .collect();
    assert!(masters.len() >= 3, "{topology}");
    for master in masters {
        let mut node = redis::Client::open(master.as_str())
            .expect("url")
            .get_multiplexed_async_connection()
            .await
            .expect("the master answers");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut node)
            .await
            .expect("keys");
        assert!(!keys.is_empty(), "{master} holds none of the 60 codes");
    }
}
