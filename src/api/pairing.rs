//! Where screens reach the board: `GET /api/pairing`, the addresses at
//! which a tablet on the kitchen network reaches it (so Settings can show a
//! pairing code even on a page opened on loopback, the desktop window, which
//! cannot tell them from its own address); and [`local_board`], the address
//! the desktop window opens on this machine.
//!
//! What it owns: choosing those addresses from the app listener's bound
//! address and this machine's interfaces ([`addresses`], pure), read with
//! the `if-addrs` crate. Loopback and link-local addresses are left out (no
//! tablet reaches them), and so is every address when the listener is bound
//! to loopback; a listener bound to one address offers only that one.
//!
//! What it never does: send the API token in an answer or write it to a
//! log. The board puts its own token in the fragment of the address it
//! shows, and a fragment never reaches a server; the desktop window's
//! address carries it the same way, and only its [`LocalBoard::shown`] part
//! is logged.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::State;
use axum::Json;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::wire::Pairing;
use super::AppState;
use crate::config::Secret;

/// Interface names of virtual bridges (containers, virtual machines): their
/// addresses are reachable from this machine only, so they go last.
const VIRTUAL: &[&str] = &["docker", "br-", "veth", "virbr", "vboxnet", "vmnet", "podman", "cni", "lxc", "lxd"];

pub async fn pairing(State(state): State<AppState>) -> Json<Pairing> {
    Json(answer(state.app_addr, &interfaces()))
}

/// The pairing answer for a listener bound at `bound` on a machine with
/// these `(interface name, address)` pairs.
pub fn answer(bound: SocketAddr, interfaces: &[(String, IpAddr)]) -> Pairing {
    let beyond_loopback = !bound.ip().is_loopback();
    let addresses = addresses(bound, interfaces);
    let hint = if !beyond_loopback {
        Some(format!(
            "kds listens on this machine only ({bound}), so no tablet can reach it. To add tablets, listen on the network: \
             KDS_LISTEN=0.0.0.0:{port} (or listen = \"0.0.0.0:{port}\" in config.toml, or --listen) with an API token in \
             KDS_API_TOKEN (or api_token in config.toml), then restart kds.",
            port = bound.port()
        ))
    } else if addresses.is_empty() {
        Some(format!("kds listens on {bound}, but this machine has no network address a tablet could use: is it connected to the kitchen network?"))
    } else {
        None
    };
    Pairing { listen: bound.to_string(), beyond_loopback, addresses, hint }
}

/// The board's URLs a tablet can open, the likeliest first (IPv4 before
/// IPv6, virtual bridges last, otherwise in the interfaces' order), each
/// once.
pub fn addresses(bound: SocketAddr, interfaces: &[(String, IpAddr)]) -> Vec<String> {
    let ip = bound.ip();
    if ip.is_loopback() {
        return Vec::new();
    }
    // A socket address prints an IPv6 host in brackets.
    let url = |ip: IpAddr| format!("http://{}", SocketAddr::new(ip, bound.port()));
    if !ip.is_unspecified() {
        return vec![url(ip)];
    }
    // 0.0.0.0 accepts IPv4 only; [::] accepts both (Linux's default dual stack).
    let mut found: Vec<(bool, bool, IpAddr)> = interfaces
        .iter()
        .filter(|(_, a)| reachable(a) && (a.is_ipv4() || ip.is_ipv6()))
        .map(|(name, a)| (VIRTUAL.iter().any(|v| name.starts_with(v)), a.is_ipv6(), *a))
        .collect();
    found.sort_by_key(|(virtual_bridge, v6, _)| (*virtual_bridge, *v6));
    let mut urls: Vec<String> = Vec::new();
    for (_, _, a) in found {
        let u = url(a);
        if !urls.contains(&u) {
            urls.push(u);
        }
    }
    urls
}

/// The board's address for a window on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBoard {
    /// What the window opens: with the API token in its fragment when the
    /// listener is beyond loopback (the board keeps it and sends it as a
    /// bearer token). A secret: never log it.
    pub url: String,
    /// The same address without the fragment, for the log.
    pub shown: String,
}

/// The board's address for a window on this machine: `127.0.0.1` on the app
/// listener's port when it is bound to every address (`0.0.0.0`, `[::]`:
/// the only origin the window's F11 kiosk permission names), else the one
/// address it is bound to (`[::1]` stays `[::1]`, where it listens); with
/// `token` in the fragment when the listener is beyond loopback, where the
/// API needs it.
pub fn local_board(bound: SocketAddr, token: Option<&Secret>) -> LocalBoard {
    let ip = bound.ip();
    let host = if ip.is_unspecified() { IpAddr::from(Ipv4Addr::LOCALHOST) } else { ip };
    let shown = format!("http://{}/", SocketAddr::new(host, bound.port()));
    let url = match token {
        Some(t) if !ip.is_loopback() => format!("{shown}#token={}", utf8_percent_encode(t.expose(), NON_ALPHANUMERIC)),
        _ => shown.clone(),
    };
    LocalBoard { url, shown }
}

/// Can another machine reach this interface address at all?
fn reachable(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast()),
        IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unicast_link_local() || v6.is_unspecified() || v6.is_multicast()),
    }
}

/// This machine's interface addresses; none (logged) if they cannot be read.
fn interfaces() -> Vec<(String, IpAddr)> {
    match if_addrs::get_if_addrs() {
        Ok(list) => list.into_iter().map(|i| (i.name.clone(), i.ip())).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "pairing: cannot list the network interfaces");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Vec<(String, IpAddr)> {
        [
            ("lo", "127.0.0.1"),
            ("docker0", "172.17.0.1"),
            ("eth0", "fe80::1c2d:3eff:fe4f:5a6b"),
            ("eth0", "fd00:1::20"),
            ("eth0", "192.168.1.20"),
            ("wlan0", "169.254.10.3"),
            ("wlan0", "10.0.0.7"),
            ("lo", "::1"),
        ]
        .into_iter()
        .map(|(n, a)| (n.to_string(), a.parse().unwrap()))
        .collect()
    }

    #[test]
    fn every_ipv4_interface_address_a_tablet_can_reach_with_the_port_bridges_last() {
        assert_eq!(
            addresses("0.0.0.0:8787".parse().unwrap(), &machine()),
            ["http://192.168.1.20:8787", "http://10.0.0.7:8787", "http://172.17.0.1:8787"],
            "no loopback, no link-local, no IPv6 on an IPv4-only listener; the docker bridge last"
        );
        assert_eq!(
            addresses("[::]:9000".parse().unwrap(), &machine()),
            ["http://192.168.1.20:9000", "http://10.0.0.7:9000", "http://[fd00:1::20]:9000", "http://172.17.0.1:9000"],
            "a dual-stack listener offers IPv6 too, after IPv4"
        );
    }

    #[test]
    fn one_bound_address_is_the_only_one_and_loopback_offers_none_with_the_setting_to_change() {
        assert_eq!(addresses("192.168.1.20:8787".parse().unwrap(), &machine()), ["http://192.168.1.20:8787"]);
        let loopback = answer("127.0.0.1:8787".parse().unwrap(), &machine());
        assert!(!loopback.beyond_loopback && loopback.addresses.is_empty(), "{loopback:?}");
        let hint = loopback.hint.expect("loopback says why there is no code");
        assert!(hint.contains("KDS_LISTEN=0.0.0.0:8787") && hint.contains("KDS_API_TOKEN"), "the hint names the settings to change: {hint}");
        let alone = answer("0.0.0.0:8787".parse().unwrap(), &machine()[..1]);
        assert!(alone.beyond_loopback && alone.addresses.is_empty() && alone.hint.is_some_and(|h| h.contains("no network address")), "a machine on no network says so");
        assert_eq!(answer("0.0.0.0:8787".parse().unwrap(), &machine()).hint, None);
    }

    #[test]
    fn the_desktop_window_opens_the_board_on_loopback_with_the_token_only_beyond_it() {
        let token = Secret::new("q+Zx/9k= A");
        let at = |bound: &str| local_board(bound.parse().unwrap(), token.as_ref());
        assert_eq!(at("127.0.0.1:8787"), LocalBoard { url: "http://127.0.0.1:8787/".into(), shown: "http://127.0.0.1:8787/".into() }, "loopback needs no token");
        assert_eq!(
            at("0.0.0.0:8787"),
            LocalBoard { url: "http://127.0.0.1:8787/#token=q%2BZx%2F9k%3D%20A".into(), shown: "http://127.0.0.1:8787/".into() },
            "every address includes loopback; the token goes in the fragment, percent-encoded as the board decodes it, and the logged form has none"
        );
        assert_eq!(at("[::]:9000").shown, "http://127.0.0.1:9000/");
        assert_eq!(at("[::1]:8787").url, "http://[::1]:8787/", "a listener on IPv6 loopback only is reached there, not on 127.0.0.1 where nothing listens; loopback needs no token");
        assert_eq!(at("127.0.0.2:8787").url, "http://127.0.0.2:8787/", "another loopback address is reached on itself");
        assert_eq!(at("192.168.1.20:8787").shown, "http://192.168.1.20:8787/", "bound to one address, only that one reaches it");
        assert_eq!(local_board("0.0.0.0:8787".parse().unwrap(), None).url, "http://127.0.0.1:8787/", "no token, no fragment");
    }
}
