//! A TCP relay on a random loopback port in front of another port (the broker's), for the
//! failures a real broker will not produce on demand:
//!
//! - [`Proxy::pause`]: stop forwarding in both directions while keeping every connection
//!   open, so the client hears nothing (no heart-beats, no frames) until
//!   [`Proxy::resume`]: a hung broker or a black-holed network path;
//! - [`Proxy::cut`]: close every relayed connection at once (a dropped connection, as
//!   research/peer-bench.md B saw mid-burst), new connections are still accepted.
//!
//! TLS passes through untouched (the client's SNI and the broker's certificate are the
//! broker's).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

struct Shared {
    paused: AtomicBool,
    shutdown: AtomicBool,
    /// Both ends of every relayed connection, so [`Proxy::cut`] can close them.
    conns: Mutex<Vec<TcpStream>>,
    accepted: AtomicUsize,
}

/// A running relay; stops (closing every connection) on drop.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

fn lock(m: &Mutex<Vec<TcpStream>>) -> std::sync::MutexGuard<'_, Vec<TcpStream>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Proxy {
    /// Relays a free port on 127.0.0.1 to `127.0.0.1:target_port`.
    pub fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            paused: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            conns: Mutex::new(Vec::new()),
            accepted: AtomicUsize::new(0),
        });
        let sh = shared.clone();
        let accept = std::thread::Builder::new()
            .name(format!("proxy-{}", addr.port()))
            .spawn(move || {
                for client in listener.incoming() {
                    if sh.shutdown.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let Ok(upstream) = TcpStream::connect(("127.0.0.1", target_port)) else {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    };
                    sh.accepted.fetch_add(1, Ordering::SeqCst);
                    let _ = client.set_nodelay(true);
                    let _ = upstream.set_nodelay(true);
                    if let (Ok(c2), Ok(u2)) = (client.try_clone(), upstream.try_clone()) {
                        lock(&sh.conns).extend([c2, u2]);
                    }
                    relay(&sh, &client, &upstream);
                    relay(&sh, &upstream, &client);
                }
            })
            .expect("spawn proxy thread");
        Proxy {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Stops forwarding (both ways); connections stay open.
    pub fn pause(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
    }

    /// Forwards again (what was held back is delivered).
    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
    }

    /// Closes every connection relayed so far (both sides see the connection drop).
    pub fn cut(&self) {
        for s in lock(&self.shared.conns).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// How many connections were accepted and relayed so far.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

/// Copies `from` to `to` on its own thread until either side closes; holds back while
/// paused.
fn relay(sh: &Arc<Shared>, from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    let sh = sh.clone();
    let _ = std::thread::Builder::new()
        .name("proxy-relay".into())
        .spawn(move || {
            let _ = from.set_read_timeout(Some(Duration::from_millis(20)));
            let mut buf = vec![0u8; 32 * 1024];
            loop {
                if sh.shutdown.load(Ordering::SeqCst) {
                    break;
                }
                if sh.paused.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = to.shutdown(Shutdown::Write);
            let _ = from.shutdown(Shutdown::Read);
        });
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        self.cut();
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}
