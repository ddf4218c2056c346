//! Reaching Redis in each of its layouts: one server, a master found through Sentinel,
//! or a Cluster — each with or without TLS. The store and the notice listener see one
//! [`RedisConnection`] (commands) and [`RedisEndpoint::pubsub`] (notices) whatever the
//! layout.
//!
//! | layout | commands | notices | after a node fails |
//! |---|---|---|---|
//! | standalone | a `ConnectionManager` | a subscription on the server | reconnects to the same address |
//! | Sentinel | a `ConnectionManager` to the master the sentinels name | a subscription on that master | a broken or read-only connection makes the next call ask the sentinels again |
//! | Cluster | the cluster client (slot map, `MOVED`/`ASK`, slot refresh) | a subscription on any node: `PUBLISH` reaches every node of a cluster | the client refreshes its slot map; the listener moves to another node |
//!
//! Nothing connects before the first call, so start-up does not wait for Redis; the
//! readiness check reports it when it is down.

use std::sync::{Arc, Mutex, PoisonError};

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, ResponsePolicy, RoutingInfo};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{
    Client, ClientTlsConfig, Cmd, ErrorKind, IntoConnectionInfo, Pipeline, RedisError, RedisFuture,
    RedisResult, ServerErrorKind, TlsCertificates, TlsMode, Value,
};
use tokio::sync::OnceCell;

use super::RedisTimeouts;

/// Which Redis layout to use, by the addresses it is reached at. A URL starting
/// `rediss://` means TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisLayout {
    /// One server (`redis.url`); a managed service's endpoint counts as one.
    Standalone {
        /// `redis://[user:password@]host:port[/db]` or `rediss://…`.
        url: String,
    },
    /// A master with replicas watched by Sentinel (`redis.sentinel.*`).
    Sentinel {
        /// The name the sentinels know the master by.
        master_name: String,
        /// The sentinels' URLs.
        nodes: Vec<String>,
        /// The data nodes' password (the sentinels' own, if any, is in their URLs).
        password: Option<String>,
    },
    /// A Redis Cluster (`redis.cluster.nodes`), reached through any of its nodes.
    Cluster {
        /// Seed nodes' URLs; credentials in the first one apply to every node.
        nodes: Vec<String>,
    },
}

/// TLS material in PEM: a private certificate authority and a client certificate.
#[derive(Clone, Default)]
pub struct RedisTls {
    /// Trusted instead of the system's roots (`redis.tls_ca_file`).
    pub ca: Option<Vec<u8>>,
    /// Certificate and key presented to the server (`redis.tls_client_cert_file`,
    /// `redis.tls_client_key_file`).
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for RedisTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTls")
            .field("ca", &self.ca.is_some())
            .field("client", &self.client.is_some())
            .finish()
    }
}

impl RedisTls {
    fn certificates(&self) -> Option<TlsCertificates> {
        if self.ca.is_none() && self.client.is_none() {
            return None;
        }
        Some(TlsCertificates {
            client_tls: self.client.as_ref().map(|(cert, key)| ClientTlsConfig {
                client_cert: cert.clone(),
                client_key: key.clone(),
            }),
            root_cert: self.ca.clone(),
        })
    }

    /// A client for one server URL, with this TLS material when the URL is `rediss://`.
    fn client(&self, url: &str) -> RedisResult<Client> {
        match self.certificates() {
            Some(certificates) if is_tls(url) => Client::build_with_tls(url, certificates),
            _ => Client::open(url),
        }
    }
}

fn is_tls(url: &str) -> bool {
    url.starts_with("rediss://")
}

/// Everything needed to reach Redis: the layout, TLS and the time limits.
#[derive(Clone)]
pub struct RedisEndpoint {
    target: Target,
    timeouts: RedisTimeouts,
}

#[derive(Clone)]
enum Target {
    Standalone(Arc<Client>),
    Sentinel(Arc<Sentinel>),
    Cluster(Arc<Cluster>),
}

/// The cluster client, and a plain client per seed node for the subscription.
struct Cluster {
    client: ClusterClient,
    nodes: Vec<Client>,
}

/// The sentinels, and the connection to the master they last named.
struct Sentinel {
    sentinels: tokio::sync::Mutex<SentinelClient>,
    master: Mutex<Option<ConnectionManager>>,
    config: ConnectionManagerConfig,
}

impl RedisEndpoint {
    /// Checks the layout's addresses and prepares the clients (nothing connects yet).
    ///
    /// # Errors
    /// An invalid URL, or TLS material that cannot be read as PEM.
    pub fn new(layout: &RedisLayout, tls: &RedisTls, timeouts: RedisTimeouts) -> RedisResult<Self> {
        let target = match layout {
            RedisLayout::Standalone { url } => Target::Standalone(Arc::new(tls.client(url)?)),
            RedisLayout::Sentinel {
                master_name,
                nodes,
                password,
            } => {
                let secure = nodes.iter().any(|node| is_tls(node));
                let addresses = nodes
                    .iter()
                    .map(|node| Ok(node.as_str().into_connection_info()?.addr().clone()))
                    .collect::<RedisResult<Vec<_>>>()?;
                let mut builder =
                    SentinelClientBuilder::new(addresses, master_name, SentinelServerType::Master)?;
                if secure {
                    builder = builder
                        .set_client_to_redis_tls_mode(TlsMode::Secure)
                        .set_client_to_sentinel_tls_mode(TlsMode::Secure);
                    if let Some(certificates) = tls.certificates() {
                        builder = builder
                            .set_client_to_redis_certificates(certificates.clone())
                            .set_client_to_sentinel_certificates(certificates);
                    }
                }
                if let Some(password) = password {
                    builder = builder.set_client_to_redis_password(password);
                }
                Target::Sentinel(Arc::new(Sentinel {
                    sentinels: tokio::sync::Mutex::new(builder.build()?),
                    master: Mutex::new(None),
                    config: manager_config(timeouts),
                }))
            }
            RedisLayout::Cluster { nodes } => {
                let mut builder = ClusterClient::builder(nodes.iter().map(String::as_str))
                    .connection_timeout(timeouts.connect)
                    .response_timeout(timeouts.command)
                    .retries(2);
                if nodes.iter().any(|node| is_tls(node))
                    && let Some(certificates) = tls.certificates()
                {
                    builder = builder.certs(certificates);
                }
                let seeds = nodes
                    .iter()
                    .map(|node| tls.client(node))
                    .collect::<RedisResult<Vec<_>>>()?;
                Target::Cluster(Arc::new(Cluster {
                    client: builder.build()?,
                    nodes: seeds,
                }))
            }
        };
        Ok(Self { target, timeouts })
    }

    /// Whether keys need hash tags: in a cluster, a key's tag decides its slot.
    pub fn is_cluster(&self) -> bool {
        matches!(self.target, Target::Cluster(_))
    }

    /// The command connection: connects lazily, reconnects by itself.
    ///
    /// # Errors
    /// Only for a standalone URL that cannot be used.
    pub fn connection(&self) -> RedisResult<RedisConnection> {
        Ok(RedisConnection(match &self.target {
            Target::Standalone(client) => {
                Kind::Standalone(client.get_connection_manager_lazy(manager_config(self.timeouts))?)
            }
            Target::Sentinel(sentinel) => Kind::Sentinel(Arc::clone(sentinel)),
            Target::Cluster(cluster) => Kind::Cluster(Arc::new(LazyCluster {
                client: cluster.client.clone(),
                connection: OnceCell::new(),
            })),
        }))
    }

    /// A new subscription connection, where notices can be heard: the server, the
    /// master the sentinels name now, or the first cluster node that answers
    /// (starting from a different one each time, to move off a failed node).
    ///
    /// # Errors
    /// When no node can be reached.
    pub async fn pubsub(&self, attempt: usize) -> RedisResult<PubSub> {
        match &self.target {
            Target::Standalone(client) => client.get_async_pubsub().await,
            Target::Sentinel(sentinel) => {
                let master = sentinel.sentinels.lock().await.async_get_client().await?;
                master.get_async_pubsub().await
            }
            Target::Cluster(cluster) => {
                let nodes = &cluster.nodes;
                let mut last =
                    RedisError::from((ErrorKind::InvalidClientConfig, "no cluster nodes"));
                for offset in 0..nodes.len() {
                    let node = &nodes[(attempt + offset) % nodes.len()];
                    match tokio::time::timeout(self.timeouts.connect, node.get_async_pubsub()).await
                    {
                        Ok(Ok(pubsub)) => return Ok(pubsub),
                        Ok(Err(err)) => last = err,
                        Err(_) => {
                            last = RedisError::from((
                                ErrorKind::Io,
                                "connecting to a cluster node timed out",
                            ));
                        }
                    }
                }
                Err(last)
            }
        }
    }
}

fn manager_config(timeouts: RedisTimeouts) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeouts.connect))
        .set_response_timeout(Some(timeouts.command))
        .set_number_of_retries(1)
}

/// The cluster client's connection, made on first use (it connects to the seeds).
struct LazyCluster {
    client: ClusterClient,
    connection: OnceCell<ClusterConnection>,
}

impl LazyCluster {
    /// The connection, made on first use; a failure to make it — no seed answers, or
    /// the seeds are not a cluster — is an outage of the cluster, tried again next call.
    async fn get(&self) -> RedisResult<ClusterConnection> {
        self.connection
            .get_or_try_init(|| self.client.get_async_connection())
            .await
            .cloned()
            .map_err(|err| {
                RedisError::from((
                    ErrorKind::ClusterConnectionNotFound,
                    "cannot connect to the cluster through redis.cluster.nodes",
                    err.to_string(),
                ))
            })
    }
}

/// Commands to Redis in whichever layout: usable with `query_async`,
/// `invoke_async` and pipelines like any redis-rs connection. Cheap to clone.
#[derive(Clone)]
pub struct RedisConnection(Kind);

#[derive(Clone)]
enum Kind {
    Standalone(ConnectionManager),
    Sentinel(Arc<Sentinel>),
    Cluster(Arc<LazyCluster>),
}

/// Whether an error means the Sentinel master we talk to is no longer the master
/// (gone, unreachable, or demoted to a read-only replica): ask the sentinels again.
fn master_lost(err: &RedisError) -> bool {
    err.kind() == ErrorKind::Server(ServerErrorKind::ReadOnly)
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_io_error()
        || err.is_timeout()
}

impl Sentinel {
    async fn master(&self) -> RedisResult<ConnectionManager> {
        if let Some(master) = self.lock().clone() {
            return Ok(master);
        }
        let client = self.sentinels.lock().await.async_get_client().await?;
        let master = client
            .get_connection_manager_with_config(self.config.clone())
            .await?;
        *self.lock() = Some(master.clone());
        Ok(master)
    }

    fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ConnectionManager>> {
        self.master.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn judge<T>(&self, result: RedisResult<T>) -> RedisResult<T> {
        if let Err(err) = &result
            && master_lost(err)
        {
            tracing::debug!(error = %err, "the Sentinel master did not answer; asking the sentinels again");
            self.forget();
        }
        result
    }
}

impl RedisConnection {
    /// Asks every node that holds data: the server, the master, every cluster master.
    ///
    /// # Errors
    /// When one of them does not answer.
    pub async fn ping(&self) -> RedisResult<()> {
        match &self.0 {
            Kind::Cluster(cluster) => {
                let mut connection = cluster.get().await?;
                connection
                    .route_command(
                        redis::cmd("PING"),
                        RoutingInfo::MultiNode((
                            MultipleNodeRoutingInfo::AllMasters,
                            Some(ResponsePolicy::AllSucceeded),
                        )),
                    )
                    .await
                    .map(|_| ())
            }
            _ => {
                let mut connection = self.clone();
                redis::cmd("PING")
                    .query_async::<String>(&mut connection)
                    .await
                    .map(|_| ())
            }
        }
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.0 {
            Kind::Standalone(manager) => manager.req_packed_command(cmd),
            Kind::Sentinel(sentinel) => {
                let sentinel = Arc::clone(sentinel);
                Box::pin(async move {
                    let mut master = sentinel.master().await?;
                    let result = master.req_packed_command(cmd).await;
                    sentinel.judge(result)
                })
            }
            Kind::Cluster(cluster) => {
                let cluster = Arc::clone(cluster);
                Box::pin(async move { cluster.get().await?.req_packed_command(cmd).await })
            }
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.0 {
            Kind::Standalone(manager) => manager.req_packed_commands(pipeline, offset, count),
            Kind::Sentinel(sentinel) => {
                let sentinel = Arc::clone(sentinel);
                Box::pin(async move {
                    let mut master = sentinel.master().await?;
                    let result = master.req_packed_commands(pipeline, offset, count).await;
                    sentinel.judge(result)
                })
            }
            Kind::Cluster(cluster) => {
                let cluster = Arc::clone(cluster);
                Box::pin(async move {
                    cluster
                        .get()
                        .await?
                        .req_packed_commands(pipeline, offset, count)
                        .await
                })
            }
        }
    }

    fn get_db(&self) -> i64 {
        match &self.0 {
            Kind::Standalone(manager) => manager.get_db(),
            Kind::Sentinel(_) | Kind::Cluster(_) => 0,
        }
    }
}
