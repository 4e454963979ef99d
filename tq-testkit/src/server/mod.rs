//! A small generic HTTPS (or plain HTTP) test server that every fake is built on.
//!
//! In-process, bound to `127.0.0.1` (port 0 = any free port), one thread per connection,
//! HTTP/1.1 with keep-alive, `Content-Length` and chunked request bodies. A [`Handler`] (any
//! `Fn(&Request) -> Response + Send + Sync`) answers each request. Built in, for every fake:
//!
//! - a request log ([`ServerControl::requests`], [`ServerControl::count`], ...);
//! - fault injection ([`ServerControl::fail_next`], [`ServerControl::fail_next_on`]) with
//!   the kinds of [`Fault`];
//! - a latency knob ([`ServerControl::set_latency`]) added before every request;
//! - clean shutdown on drop (stop accepting, close connections, join threads).
//!
//! ```no_run
//! use tq_testkit::certs::TestCa;
//! use tq_testkit::server::{Response, TestServer, Fault};
//! let ca = TestCa::new("ca");
//! let id = ca.issue_server("localhost", &["localhost", "127.0.0.1"]).identity();
//! let srv = TestServer::builder()
//!     .tls(id)
//!     .start(|req: &tq_testkit::server::Request| {
//!         Response::json(200, &serde_json::json!({"path": req.path}))
//!     })
//!     .unwrap();
//! srv.fail_next(1, Fault::Status(503));
//! println!("{}", srv.url()); // https://127.0.0.1:PORT
//! ```

mod faults;
mod message;
mod wire;

pub use faults::{Fault, FaultQueue, PathFilter};
pub use message::{parse_query, percent_decode, percent_encode, Request, Response};

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use wire::{Conn, ReadError};

/// Answers requests. Implemented for every `Fn(&Request) -> Response + Send + Sync`.
pub trait Handler: Send + Sync + 'static {
    /// Builds the response to `req`. Must not panic on bad input (a panic is caught and
    /// answered 500, but it is a bug in the fake).
    fn handle(&self, req: &Request) -> Response;
}

impl<F> Handler for F
where
    F: Fn(&Request) -> Response + Send + Sync + 'static,
{
    fn handle(&self, req: &Request) -> Response {
        self(req)
    }
}

/// One entry of the request log: the request and the status it got (0 = connection
/// dropped by an injected [`Fault::Drop`]).
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The request as received.
    pub request: Request,
    /// The status answered, or 0 when the connection was dropped without an answer.
    pub status: u16,
    /// Which connection carried it (a number per accepted connection, from 1): requests
    /// sharing a number came over one kept-alive connection.
    pub connection: u64,
}

/// Locks a mutex, ignoring poisoning (a panicking handler must not take the server down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Shared {
    log: Mutex<Vec<Exchange>>,
    faults: Mutex<FaultQueue>,
    latency_us: AtomicU64,
    shutdown: AtomicBool,
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
}

/// The knobs and the request log of a running [`TestServer`]; cheap to clone and share
/// (a fake keeps one to re-export the knobs).
#[derive(Clone)]
pub struct ServerControl {
    shared: Arc<Shared>,
}

impl ServerControl {
    /// Every request received so far, in order of completion.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.log)
            .iter()
            .map(|e| e.request.clone())
            .collect()
    }

    /// Every request with the status it got (0 = dropped).
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.log).clone()
    }

    /// The status of every exchange so far, in order (0 = dropped by a fault).
    pub fn statuses(&self) -> Vec<u16> {
        lock(&self.shared.log).iter().map(|e| e.status).collect()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// How many requests had this method (case-insensitive) and exactly this path.
    pub fn count(&self, method: &str, path: &str) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|e| e.request.method.eq_ignore_ascii_case(method) && e.request.path == path)
            .count()
    }

    /// How many requests were received in total.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.log).len()
    }

    /// The next `n` requests (any route) get `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        self.fail_next_on("", n, fault);
    }

    /// The next `n` requests matching `filter` get `fault`; see [`PathFilter`] for the
    /// `"[METHOD ]PATH[*]"` syntax (e.g. `"POST /api/indicators/consume"`).
    pub fn fail_next_on(&self, filter: &str, n: usize, fault: Fault) {
        lock(&self.shared.faults).push(PathFilter::parse(filter), n, fault);
    }

    /// Cancels every pending fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// How many injected faults have not fired yet.
    pub fn pending_faults(&self) -> usize {
        lock(&self.shared.faults).pending()
    }

    /// Adds `latency` before every request is answered (for benchmarks; `ZERO` = off).
    pub fn set_latency(&self, latency: Duration) {
        self.shared
            .latency_us
            .store(latency.as_micros() as u64, Ordering::SeqCst);
    }

    /// The current added latency.
    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.shared.latency_us.load(Ordering::SeqCst))
    }
}

/// Configures a [`TestServer`]: port, TLS identity, idle timeout.
pub struct ServerBuilder {
    port: u16,
    identity: Option<native_tls::Identity>,
    idle_timeout: Duration,
}

impl ServerBuilder {
    /// The port to bind on 127.0.0.1 (default 0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Serve HTTPS with this identity (default: plain HTTP).
    pub fn tls(mut self, identity: native_tls::Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// How long an idle keep-alive connection is kept (default 60 s).
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = d;
        self
    }

    /// Binds and starts serving with `handler`.
    pub fn start(self, handler: impl Handler) -> io::Result<TestServer> {
        let acceptor = match self.identity {
            Some(id) => Some(Arc::new(
                native_tls::TlsAcceptor::new(id).map_err(io::Error::other)?,
            )),
            None => None,
        };
        let listener = TcpListener::bind(("127.0.0.1", self.port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(FaultQueue::default()),
            latency_us: AtomicU64::new(0),
            shutdown: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
        });
        let tls = acceptor.is_some();
        let handler: Arc<dyn Handler> = Arc::new(handler);
        let sh = shared.clone();
        let idle = self.idle_timeout;
        let accept_thread = std::thread::Builder::new()
            .name(format!("testserver-{}", addr.port()))
            .spawn(move || accept_loop(listener, sh, handler, acceptor, idle))?;
        Ok(TestServer {
            control: ServerControl { shared },
            addr,
            tls,
            accept_thread: Some(accept_thread),
        })
    }
}

/// A running test server; stops (and joins its threads) when dropped.
pub struct TestServer {
    control: ServerControl,
    addr: SocketAddr,
    tls: bool,
    accept_thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// A builder: plain HTTP on a free port unless told otherwise.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            port: 0,
            identity: None,
            idle_timeout: Duration::from_secs(60),
        }
    }

    /// Starts an HTTPS server on a free port with `identity`.
    pub fn https(identity: native_tls::Identity, handler: impl Handler) -> io::Result<TestServer> {
        TestServer::builder().tls(identity).start(handler)
    }

    /// Starts a plain HTTP server on a free port.
    pub fn http(handler: impl Handler) -> io::Result<TestServer> {
        TestServer::builder().start(handler)
    }

    /// The bound address (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    /// `https://127.0.0.1:PORT` (or `http://` for a plain server), no trailing slash.
    pub fn url(&self) -> String {
        format!(
            "{}://127.0.0.1:{}",
            if self.tls { "https" } else { "http" },
            self.addr.port()
        )
    }

    /// Whether this server speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// A shareable handle on the knobs and the request log.
    pub fn control(&self) -> ServerControl {
        self.control.clone()
    }

    /// See [`ServerControl::requests`].
    pub fn requests(&self) -> Vec<Request> {
        self.control.requests()
    }
    /// See [`ServerControl::exchanges`].
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.control.exchanges()
    }
    /// See [`ServerControl::clear_requests`].
    pub fn clear_requests(&self) {
        self.control.clear_requests()
    }
    /// See [`ServerControl::count`].
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.control.count(method, path)
    }
    /// See [`ServerControl::request_count`].
    pub fn request_count(&self) -> usize {
        self.control.request_count()
    }
    /// See [`ServerControl::fail_next`].
    pub fn fail_next(&self, n: usize, fault: Fault) {
        self.control.fail_next(n, fault)
    }
    /// See [`ServerControl::fail_next_on`].
    pub fn fail_next_on(&self, filter: &str, n: usize, fault: Fault) {
        self.control.fail_next_on(filter, n, fault)
    }
    /// See [`ServerControl::clear_faults`].
    pub fn clear_faults(&self) {
        self.control.clear_faults()
    }
    /// See [`ServerControl::set_latency`].
    pub fn set_latency(&self, latency: Duration) {
        self.control.set_latency(latency)
    }

    /// Stops accepting, closes open connections and joins every thread. Called on drop.
    pub fn shutdown(&mut self) {
        let Some(t) = self.accept_thread.take() else {
            return;
        };
        let sh = &self.control.shared;
        sh.shutdown.store(true, Ordering::SeqCst);
        // Wake the blocking accept().
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        for s in lock(&sh.conns).values() {
            let _ = s.shutdown(Shutdown::Both);
        }
        let _ = t.join();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(
    listener: TcpListener,
    sh: Arc<Shared>,
    handler: Arc<dyn Handler>,
    acceptor: Option<Arc<native_tls::TlsAcceptor>>,
    idle: Duration,
) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if sh.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        workers.retain(|w| !w.is_finished());
        let id = sh.next_conn.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            lock(&sh.conns).insert(id, clone);
        }
        let (sh2, h2, acc2) = (sh.clone(), handler.clone(), acceptor.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("testserver-conn-{id}"))
            .spawn(move || {
                let _ = stream.set_read_timeout(Some(idle));
                let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
                let _ = stream.set_nodelay(true);
                match acc2 {
                    Some(acc) => {
                        if let Ok(tls) = acc.accept(stream) {
                            serve(Conn::new(tls), id, &sh2, h2.as_ref());
                        }
                    }
                    None => serve(Conn::new(stream), id, &sh2, h2.as_ref()),
                }
                lock(&sh2.conns).remove(&id);
            });
        match spawned {
            Ok(w) => workers.push(w),
            Err(_) => {
                lock(&sh.conns).remove(&id);
            }
        }
    }
    // Close whatever is still open, then wait for the workers.
    for s in lock(&sh.conns).values() {
        let _ = s.shutdown(Shutdown::Both);
    }
    for w in workers {
        let _ = w.join();
    }
}

fn serve<S: io::Read + io::Write>(
    mut conn: Conn<S>,
    conn_id: u64,
    sh: &Shared,
    handler: &dyn Handler,
) {
    loop {
        let incoming = match conn.read_request() {
            Ok(i) => i,
            Err(ReadError::Closed) => return,
            Err(ReadError::Io(e)) => {
                log::debug!("test server: connection {conn_id} closed: {e}");
                return;
            }
            Err(ReadError::Malformed(msg)) => {
                let body = serde_json::json!({ "errors": [msg] });
                let _ = conn.write_response(&Response::json(400, &body), false, false);
                return;
            }
        };
        if sh.shutdown.load(Ordering::SeqCst) {
            return;
        }
        let req = incoming.request;
        let latency = sh.latency_us.load(Ordering::SeqCst);
        if latency > 0 {
            std::thread::sleep(Duration::from_micros(latency));
        }
        let fault = lock(&sh.faults).take(&req);
        let resp = match fault {
            None => call(handler, &req),
            Some(Fault::Status(s)) => Response::json(
                s,
                &serde_json::json!({ "errors": [format!("injected fault: status {s}")] }),
            ),
            Some(Fault::TooManyRequests { retry_after_secs }) => Response::json(
                429,
                &serde_json::json!({ "errors": ["Too Many Requests (injected fault)"] }),
            )
            .with_header("Retry-After", &retry_after_secs.to_string()),
            Some(Fault::Delay(d)) => {
                std::thread::sleep(d);
                call(handler, &req)
            }
            Some(Fault::Drop) => {
                lock(&sh.log).push(Exchange {
                    request: req,
                    status: 0,
                    connection: conn_id,
                });
                return;
            }
        };
        let head_only = req.method.eq_ignore_ascii_case("HEAD");
        lock(&sh.log).push(Exchange {
            request: req,
            status: resp.status,
            connection: conn_id,
        });
        if conn
            .write_response(&resp, incoming.keep_alive, head_only)
            .is_err()
            || !incoming.keep_alive
        {
            return;
        }
    }
}

fn call(handler: &dyn Handler, req: &Request) -> Response {
    match std::panic::catch_unwind(AssertUnwindSafe(|| handler.handle(req))) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "handler panicked".to_string());
            Response::json(
                500,
                &serde_json::json!({ "errors": [format!("fake server bug: {msg}")] }),
            )
        }
    }
}
