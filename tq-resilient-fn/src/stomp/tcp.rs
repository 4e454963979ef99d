//! The TCP side of a broker connection: resolve, try each address within a timeout, set
//! `TCP_NODELAY` and the read/write timeouts the handshake runs under.
//!
//! Not STOMP-specific: tq-tie-listener's MQTT connection does the same. It belongs in
//! tq-common beside `tq_common::tls::StreamConnector` (one place for both brokers); it is
//! here until that move, because tq-common is being rewritten in parallel.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A connected socket to `host:port` (each resolved address tried in turn, each within
/// `timeout`), with `TCP_NODELAY` and read and write timeouts of `timeout`. The error says
/// which step failed.
pub fn connect(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, (&'static str, io::Error)> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| ("resolving the host", e))?
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
    let tcp = addrs
        .iter()
        .find_map(|a| match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => Some(s),
            Err(e) => {
                last = e;
                None
            }
        })
        .ok_or(("connecting", last))?;
    tcp.set_nodelay(true)
        .map_err(|e| ("setting TCP_NODELAY", e))?;
    tcp.set_read_timeout(Some(timeout))
        .map_err(|e| ("setting the read timeout", e))?;
    tcp.set_write_timeout(Some(timeout))
        .map_err(|e| ("setting the write timeout", e))?;
    Ok(tcp)
}
