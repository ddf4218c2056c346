//! In-process fan-out of change notices to the tasks waiting on them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use qblog_domain::store::{Notice, Subscription};
use tokio::sync::broadcast;

/// How many notices a slow subscriber may fall behind before it is told to resync.
const CHANNEL_CAPACITY: usize = 16;

/// Delivers notices published on a channel to every live subscription of it.
///
/// Channels exist only while someone listens: the last subscription to go removes its
/// channel, so the map stays as small as the number of waiting requests.
#[derive(Default)]
pub struct NoticeHub {
    channels: Mutex<HashMap<String, broadcast::Sender<Notice>>>,
}

impl NoticeHub {
    /// Starts listening on `channel`.
    pub fn subscribe(self: &Arc<Self>, channel: &str) -> HubSubscription {
        let mut channels = self.lock();
        let sender = channels
            .entry(channel.to_owned())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0);
        HubSubscription {
            receiver: Some(sender.subscribe()),
            channel: channel.to_owned(),
            hub: Arc::clone(self),
        }
    }

    /// Hands `message` to the current subscribers of `channel`, if any.
    pub fn publish(&self, channel: &str, message: &str) {
        if let Some(sender) = self.lock().get(channel) {
            // An error only means every receiver went away meanwhile.
            let _ = sender.send(Notice::Message(message.to_owned()));
        }
    }

    /// Tells every subscriber that notices may have been missed.
    pub fn resync_all(&self) {
        for sender in self.lock().values() {
            let _ = sender.send(Notice::Resync);
        }
    }

    /// Tells every subscriber that notices may have been missed, in batches spread
    /// evenly over `spread` (at once when there are few), so that what they do about
    /// it — read the store again — does not all happen at the same moment.
    pub fn resync_all_within(&self, spread: Duration) {
        const BATCHES: u32 = 10;
        const AT_ONCE: usize = 100;
        let senders: Vec<broadcast::Sender<Notice>> = self.lock().values().cloned().collect();
        if senders.len() <= AT_ONCE {
            for sender in senders {
                let _ = sender.send(Notice::Resync);
            }
            return;
        }
        let batch = senders.len().div_ceil(BATCHES as usize);
        tokio::spawn(async move {
            for (index, chunk) in senders.chunks(batch).enumerate() {
                if index > 0 {
                    tokio::time::sleep(spread / BATCHES).await;
                }
                for sender in chunk {
                    let _ = sender.send(Notice::Resync);
                }
            }
        });
    }

    /// How many channels have at least one subscriber.
    pub fn channel_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<Notice>>> {
        // The map holds no invariant a panicking holder could break half-way.
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One subscriber's view of a [`NoticeHub`] channel.
pub struct HubSubscription {
    receiver: Option<broadcast::Receiver<Notice>>,
    channel: String,
    hub: Arc<NoticeHub>,
}

#[async_trait]
impl Subscription for HubSubscription {
    async fn next(&mut self) -> Option<Notice> {
        let receiver = self.receiver.as_mut()?;
        match receiver.recv().await {
            Ok(notice) => Some(notice),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Notice::Resync),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

impl Drop for HubSubscription {
    fn drop(&mut self) {
        drop(self.receiver.take());
        let mut channels = self.hub.lock();
        if channels
            .get(&self.channel)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            channels.remove(&self.channel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_subscriber_receives_what_is_published_on_its_channel_only() {
        let hub = Arc::new(NoticeHub::default());
        let mut a = hub.subscribe("a");
        let mut b = hub.subscribe("b");
        hub.publish("a", "hello");
        assert_eq!(a.next().await, Some(Notice::Message("hello".into())));
        hub.publish("b", "other");
        assert_eq!(b.next().await, Some(Notice::Message("other".into())));
    }

    #[tokio::test]
    async fn the_last_subscription_to_go_removes_its_channel() {
        let hub = Arc::new(NoticeHub::default());
        let first = hub.subscribe("c");
        let second = hub.subscribe("c");
        assert_eq!(hub.channel_count(), 1);
        drop(first);
        assert_eq!(hub.channel_count(), 1);
        drop(second);
        assert_eq!(hub.channel_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_resync_of_many_subscribers_is_spread_over_the_time_given() {
        let hub = Arc::new(NoticeHub::default());
        let subscribers: Vec<_> = (0..1000).map(|i| hub.subscribe(&i.to_string())).collect();
        let started = tokio::time::Instant::now();
        hub.resync_all_within(Duration::from_millis(500));
        let arrivals = futures_util::future::join_all(subscribers.into_iter().map(
            |mut subscriber| async move {
                assert_eq!(subscriber.next().await, Some(Notice::Resync));
                started.elapsed()
            },
        ))
        .await;
        let first = arrivals.iter().min().copied().unwrap_or_default();
        assert_eq!(first, Duration::ZERO, "the first batch at once");
        let at_once = arrivals.iter().filter(|t| t.is_zero()).count();
        assert!(at_once <= 100, "{at_once} at once");
        let last = arrivals.iter().max().copied().unwrap_or_default();
        assert!(
            last >= Duration::from_millis(400) && last <= Duration::from_millis(500),
            "the last batch after {last:?}"
        );
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_to_resync() {
        let hub = Arc::new(NoticeHub::default());
        let mut slow = hub.subscribe("c");
        for i in 0..(CHANNEL_CAPACITY + 4) {
            hub.publish("c", &i.to_string());
        }
        assert_eq!(slow.next().await, Some(Notice::Resync));
    }
}
