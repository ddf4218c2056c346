//! The client's IP address, believed from `X-Forwarded-For` only behind a trusted proxy.
//!
//! Throttling and the QR-code login's "which computer is asking" need the real client
//! address. Behind nginx the socket peer is the proxy, which reports the client in
//! `X-Forwarded-For`; anyone else could forge that header, so it is read only when the
//! peer is in `server.trusted_proxies`, and then from the right, skipping trusted hops.
//!
//! Addresses are compared in canonical form: on a dual-stack listener (`[::]`) an IPv4
//! client arrives as `::ffff:a.b.c.d`, which is the IPv4 address `a.b.c.d` for
//! trusted-proxy matching, throttling and logs alike. Hops may carry a port
//! (`203.0.113.7:4711`, `[2001:db8::1]:443`) or brackets, as some proxies write them.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use poem::{Endpoint, Middleware, Request, Result};
use qblog_domain::validation::is_invisible_control;

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

    /// The client's `User-Agent` as it may be stored and shown to the user (on the
    /// phone asked to confirm a login, in the device list): at most
    /// `MAX_USER_AGENT_CHARS` (512) characters, without control or direction-override
    /// characters, which could make the text displayed differ from the text sent.
    pub fn user_agent(req: &Request) -> String {
        req.headers()
            .get(poem::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .filter(|c| !is_invisible_control(*c))
            .take(MAX_USER_AGENT_CHARS)
            .collect()
    }
}

/// The longest `User-Agent` kept.
pub const MAX_USER_AGENT_CHARS: usize = 512;

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
        let peer = peer.to_canonical();
        if !self.is_trusted(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in header.rsplit(',') {
            let Some(ip) = parse_hop(hop) else {
                break;
            };
            client = ip;
            if !self.is_trusted(ip) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, optionally in brackets or with a port,
/// in canonical form; `None` for anything else (`unknown`, obfuscated identifiers).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = if let Some(bracketed) = hop.strip_prefix('[') {
        // [v6] or [v6]:port
        let (inside, after) = bracketed.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        inside.parse::<IpAddr>().ok()?
    } else if let Ok(ip) = hop.parse::<IpAddr>() {
        ip
    } else {
        // v4:port (a bare v6 address has several colons and parsed above)
        let (host, port) = hop.split_once(':')?;
        if !is_port(port) {
            return None;
        }
        IpAddr::V4(host.parse().ok()?)
    };
    Some(ip.to_canonical())
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
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
    fn an_ipv4_mapped_peer_is_its_ipv4_address_for_trust_and_for_the_client() {
        let config = ClientIpMiddleware::new(vec!["127.0.0.1/32".parse().expect("net")]);
        assert_eq!(
            config.resolve(ip("::ffff:127.0.0.1"), Some("203.0.113.7")),
            ip("203.0.113.7")
        );
        assert_eq!(
            ClientIpMiddleware::default().resolve(ip("::ffff:198.51.100.1"), None),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn hops_with_ports_or_brackets_are_read() {
        let config = behind_proxy();
        for (header, client) in [
            ("203.0.113.7:4711", "203.0.113.7"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("2001:db8::2", "2001:db8::2"),
            ("::ffff:203.0.113.8", "203.0.113.8"),
            ("198.51.100.9, 10.0.0.3:8080", "198.51.100.9"),
        ] {
            assert_eq!(
                config.resolve(ip("10.0.0.2"), Some(header)),
                ip(client),
                "{header}"
            );
        }
        for garbage in [
            "1.2.3.4:port",
            "[::1",
            "[::1]x",
            "unknown",
            "1.2.3.4:123456",
        ] {
            assert_eq!(
                config.resolve(ip("10.0.0.2"), Some(garbage)),
                ip("10.0.0.2"),
                "{garbage}"
            );
        }
    }

    #[test]
    fn garbage_in_the_header_stops_the_walk() {
        assert_eq!(
            behind_proxy().resolve(ip("10.0.0.2"), Some("nonsense")),
            ip("10.0.0.2")
        );
    }
}
