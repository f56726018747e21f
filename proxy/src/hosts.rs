//! Which names a server without authentication answers to: the defence
//! against DNS rebinding. A page on another site can point its own name at
//! 127.0.0.1 and then read whatever answers there from the user's browser,
//! but the browser still sends that site's name in `Host`; answering only
//! the names of the listener (and the operator's `--allowed-host` names)
//! leaves such a page nothing to read.

use std::net::{IpAddr, SocketAddr};

use axum::http::uri::Authority;

/// The `Host` values a server listening on one address answers.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    port: u16,
    /// Host names (lowercase, IPv6 in brackets) served at the listener's port.
    listener_names: Vec<String>,
    /// The `--allowed-host` names: a name alone matches any port.
    extra: Vec<AllowedHost>,
}

#[derive(Debug, Clone)]
struct AllowedHost {
    name: String,
    port: Option<u16>,
}

impl AllowedHosts {
    /// The names of the listener at `listen` (`localhost`, `127.0.0.1`,
    /// `[::1]` and its own address, at its port) and `extra`
    /// (`--allowed-host`, each `NAME` or `NAME:PORT`).
    pub fn new(listen: SocketAddr, extra: &[String]) -> Result<Self, String> {
        let extra = extra.iter().map(|name| parse_allowed(name)).collect::<Result<_, _>>()?;
        Ok(Self { port: 0, listener_names: Vec::new(), extra }.listening_on(listen))
    }

    /// The same names for the listener at `listen` (once bound: port 0
    /// becomes the port taken).
    pub fn listening_on(mut self, listen: SocketAddr) -> Self {
        self.listener_names = ["localhost", "127.0.0.1", "[::1]"].map(str::to_string).to_vec();
        if !listen.ip().is_unspecified() && !self.listener_names.contains(&bracketed(listen.ip())) {
            self.listener_names.push(bracketed(listen.ip()));
        }
        self.port = listen.port();
        self
    }

    /// Whether `host` (a `Host` header's value, or the authority of an
    /// absolute request target) names this server.
    pub fn allows(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<Authority>() else { return false };
        if authority.as_str().contains('@') {
            return false;
        }
        let name = authority.host().to_ascii_lowercase();
        let port = authority.port_u16().unwrap_or(80);
        (port == self.port && self.listener_names.contains(&name))
            || self.extra.iter().any(|allowed| allowed.name == name && allowed.port.is_none_or(|p| p == port))
    }

    /// The names answered, for a refusal's message.
    pub fn describe(&self) -> String {
        let mut names: Vec<String> = self.listener_names.iter().map(|name| format!("{name}:{}", self.port)).collect();
        names.extend(self.extra.iter().map(|allowed| match allowed.port {
            Some(port) => format!("{}:{port}", allowed.name),
            None => allowed.name.clone(),
        }));
        names.join(", ")
    }
}

/// An IP address as it is written in `Host`.
fn bracketed(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn parse_allowed(given: &str) -> Result<AllowedHost, String> {
    let refused =
        || format!("--allowed-host: {given:?} is not a host name (e.g. tlswatch.internal or tlswatch.internal:8080)");
    let authority = given.trim().parse::<Authority>().map_err(|_| refused())?;
    if authority.host().is_empty() || authority.as_str().contains('@') {
        return Err(refused());
    }
    Ok(AllowedHost { name: authority.host().to_ascii_lowercase(), port: authority.port_u16() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(listen: &str, extra: &[&str]) -> AllowedHosts {
        let extra: Vec<String> = extra.iter().map(|name| name.to_string()).collect();
        AllowedHosts::new(listen.parse().unwrap(), &extra).unwrap()
    }

    #[test]
    fn answers_the_listeners_names_at_its_port_only() {
        let local = hosts("127.0.0.1:8080", &[]);
        for host in ["localhost:8080", "LOCALHOST:8080", "127.0.0.1:8080", "[::1]:8080"] {
            assert!(local.allows(host), "{host}");
        }
        for host in
            ["localhost", "localhost:8081", "evil.example:8080", "127.0.0.1.nip.io:8080", "user@localhost:8080", ""]
        {
            assert!(!local.allows(host), "{host}");
        }
        assert!(hosts("10.0.0.5:80", &[]).allows("10.0.0.5"), "port 80 may go unwritten");
        assert!(!hosts("0.0.0.0:8080", &[]).allows("0.0.0.0:8080"));
    }

    #[test]
    fn allowed_host_names_match_any_port_unless_they_name_one() {
        let allowed = hosts("127.0.0.1:8080", &["Tlswatch.Internal", "dash.example:443"]);
        assert!(allowed.allows("tlswatch.internal"));
        assert!(allowed.allows("tlswatch.internal:9000"));
        assert!(allowed.allows("dash.example:443"));
        assert!(!allowed.allows("dash.example:8080"));
        assert!(allowed.describe().contains("tlswatch.internal"), "{}", allowed.describe());
        let refused = AllowedHosts::new("127.0.0.1:8080".parse().unwrap(), &["not a host".to_string()]);
        assert!(refused.unwrap_err().contains("--allowed-host"));
    }
}
