//! Whether the PC and the phone are near each other, as far as a server can tell, and
//! when that calls for number matching.

use std::net::IpAddr;

use crate::validation::FieldError;

/// The network prefix lengths under which two addresses count as the same network
/// (`qrcode.same_network_prefix_v4`, `_v6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkPrefixes {
    /// IPv4 prefix length, 0 to 32 (default 24).
    pub v4: u8,
    /// IPv6 prefix length, 0 to 128 (default 64).
    pub v6: u8,
}

impl Default for NetworkPrefixes {
    fn default() -> Self {
        Self { v4: 24, v6: 64 }
    }
}

impl NetworkPrefixes {
    /// Whether `a` and `b` share a network. An IPv4 address mapped into IPv6
    /// (`::ffff:192.0.2.1`) counts as the IPv4 address; an address that does not parse,
    /// or two of different families, never share one.
    pub fn same_network(self, a: &str, b: &str) -> bool {
        let (Ok(a), Ok(b)) = (a.parse::<IpAddr>(), b.parse::<IpAddr>()) else {
            return false;
        };
        match (a.to_canonical(), b.to_canonical()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => prefix_equal(
                u128::from(a.to_bits()) << 96,
                u128::from(b.to_bits()) << 96,
                self.v4,
            ),
            (IpAddr::V6(a), IpAddr::V6(b)) => prefix_equal(a.to_bits(), b.to_bits(), self.v6),
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of two left-aligned 128-bit numbers agree.
fn prefix_equal(a: u128, b: u128, bits: u8) -> bool {
    match bits {
        0 => true,
        bits if bits >= 128 => a == b,
        bits => (a ^ b) >> (128 - u32::from(bits)) == 0,
    }
}

/// When a scan asks the phone for the PC's match code (`qrcode.number_matching`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumberMatching {
    /// Never.
    Off,
    /// On every scan.
    Always,
    /// When the PC and the phone are not on the same network (the default): a phone
    /// next to the PC usually is, a phished victim far from the attacker's PC is not.
    #[default]
    WhenNetworksDiffer,
}

impl NumberMatching {
    /// `off`, `always` or `when_networks_differ`.
    ///
    /// # Errors
    /// A [`FieldError`] naming the setting otherwise.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match value {
            "off" => Ok(Self::Off),
            "always" => Ok(Self::Always),
            "when_networks_differ" => Ok(Self::WhenNetworksDiffer),
            _ => Err(FieldError::new(
                "qrcode.number_matching",
                "must be off, always or when_networks_differ",
            )),
        }
    }

    /// Whether a scan from a phone that is (or is not) on the PC's network needs it.
    pub fn applies(self, same_network: bool) -> bool {
        match self {
            Self::Off => false,
            Self::Always => true,
            Self::WhenNetworksDiffer => !same_network,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_share_a_network_by_prefix() {
        let prefixes = NetworkPrefixes::default();
        let same = |a, b| prefixes.same_network(a, b);
        assert!(same("192.0.2.10", "192.0.2.200"));
        assert!(!same("192.0.2.10", "192.0.3.10"));
        assert!(same("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"));
        assert!(!same("2001:db8:1:2::1", "2001:db8:1:3::1"));
        assert!(
            same("::ffff:192.0.2.1", "192.0.2.77"),
            "mapped IPv4 is IPv4"
        );
        assert!(!same("192.0.2.1", "2001:db8::1"), "families differ");
        assert!(
            !same("unknown", "unknown"),
            "unparsed addresses prove nothing"
        );
        assert!(same("127.0.0.1", "127.0.0.1"));
    }

    #[test]
    fn prefix_lengths_are_honoured_at_their_edges() {
        let exact = NetworkPrefixes { v4: 32, v6: 128 };
        assert!(!exact.same_network("192.0.2.1", "192.0.2.2"));
        assert!(exact.same_network("2001:db8::1", "2001:db8::1"));
        let anything = NetworkPrefixes { v4: 0, v6: 0 };
        assert!(anything.same_network("10.0.0.1", "203.0.113.9"));
        let wide = NetworkPrefixes { v4: 16, v6: 48 };
        assert!(wide.same_network("10.1.2.3", "10.1.200.3"));
        assert!(!wide.same_network("10.1.2.3", "10.2.2.3"));
        assert!(wide.same_network("2001:db8:1:7::1", "2001:db8:1:8::1"));
    }

    #[test]
    fn number_matching_applies_by_mode() {
        assert!(!NumberMatching::Off.applies(false));
        assert!(NumberMatching::Always.applies(true));
        assert!(NumberMatching::WhenNetworksDiffer.applies(false));
        assert!(!NumberMatching::WhenNetworksDiffer.applies(true));
        assert_eq!(
            NumberMatching::parse("when_networks_differ").ok(),
            Some(NumberMatching::default())
        );
        assert!(NumberMatching::parse("sometimes").is_err());
    }
}
