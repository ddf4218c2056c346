//! The client's IP address, believed from `X-Forwarded-For` only behind a trusted proxy.
//!
//! Throttling and the QR-code login's "which computer is asking" need the real client
//! address. Behind nginx the socket peer is the proxy, which reports the client in
//! `X-Forwarded-For`; anyone else could forge that header, so it is read only when the
//! peer is in `server.trusted_proxies`, and then from the right, skipping trusted hops.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use poem::{Endpoint, Middleware, Request, Result};

/// The resolved client address, stored in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The client address of `req`, or the unspecified address outside the middleware.
    pub fn of(req: &Request) -> IpAddr {
        req.extensions()
            .get::<ClientIp>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ip| ip.0)
    }
}

/// Resolves [`ClientIp`] for every request.
#[derive(Debug, Clone, Default)]
pub struct ClientIpMiddleware {
    trusted: Arc<Vec<IpNet>>,
}

impl ClientIpMiddleware {
    /// Trusts `X-Forwarded-For` from peers inside `trusted`.
    pub fn new(trusted: Vec<IpNet>) -> Self {
        Self {
            trusted: Arc::new(trusted),
        }
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client address given the socket peer and the `X-Forwarded-For` values.
    pub fn resolve(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.is_trusted(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in header.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.is_trusted(ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

impl<E: Endpoint> Middleware<E> for ClientIpMiddleware {
    type Output = ClientIpEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ClientIpEndpoint {
            inner,
            config: self.clone(),
        }
    }
}

/// The endpoint produced by [`ClientIpMiddleware`].
pub struct ClientIpEndpoint<E> {
    inner: E,
    config: ClientIpMiddleware,
}

impl<E: Endpoint> Endpoint for ClientIpEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let peer = req
            .remote_addr()
            .as_socket_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |addr| addr.ip());
        // Several X-Forwarded-For lines count as one comma-separated list, in order.
        let lines: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let forwarded = (!lines.is_empty()).then(|| lines.join(","));
        let client = self.config.resolve(peer, forwarded.as_deref());
        req.extensions_mut().insert(ClientIp(client));
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn behind_proxy() -> ClientIpMiddleware {
        ClientIpMiddleware::new(vec!["10.0.0.0/8".parse().expect("net")])
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let config = ClientIpMiddleware::default();
        assert_eq!(
            config.resolve(ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_forged_header_from_an_untrusted_peer_is_ignored() {
        assert_eq!(
            behind_proxy().resolve(ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client() {
        assert_eq!(
            behind_proxy().resolve(ip("10.0.0.2"), Some("6.6.6.6, 198.51.100.4, 10.0.0.7")),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn garbage_in_the_header_stops_the_walk() {
        assert_eq!(
            behind_proxy().resolve(ip("10.0.0.2"), Some("nonsense")),
            ip("10.0.0.2")
        );
    }
}
