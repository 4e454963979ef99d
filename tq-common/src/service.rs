//! The long-running loop of a service connector (tq-tie-listener on MQTT, tq-resilient-fn
//! on STOMP): connect to a broker, subscribe, hand each message to a [`Handler`], and keep
//! doing so until SIGTERM/SIGINT.
//!
//! What [`Service::run`] does, so that no connector writes it again:
//!
//! - **Stop flag**: [`Stop::on_signals`] makes SIGTERM and SIGINT set a flag instead of
//!   ending the process. Install it after provisioning and other setup (a signal before
//!   that ends the process at once, with nothing accepted yet). Every wait in the loop is
//!   cut short by it.
//! - **Readiness line**: after every successful connect and subscribe, one info line
//!   `listening: connected to <system> broker <where>, subscribed to <what>`.
//! - **Reconnect**: a lost connection is reconnected at once; a failed connect is retried
//!   after a capped exponential backoff with jitter ([`crate::retry::Backoff`]), logged with
//!   the delay (`no <system> broker reachable (<error>); next attempt in N s`) and reported
//!   to the handler ([`ConnectionEvent`]). **Subscriptions are made again after every
//!   connect** ([`BrokerSession::subscribe`]). Errors the session calls fatal
//!   ([`BrokerSession::is_fatal`], e.g. refused credentials) end the run instead.
//! - **Acknowledgements**: a message may carry an ack handle (STOMP `ack:client-individual`).
//!   The handler acks when its work is done, at once or later from another thread, through
//!   [`Acker`]; the loop sends the acks on the connection between two receives, and before
//!   disconnecting at the stop. A handle from an earlier connection is the session's to
//!   recognise (the broker redelivers that message on the new connection).
//! - **Rate-limited warnings**: [`Context::skipped`] logs a message that could not be used,
//!   at most 10 a minute, then one line with the count of the others ([`RateLimited`]).
//! - **Progress**: every `progress_every` the handler's [`Handler::progress`] line is logged.
//! - **Memory**: after a burst, the first idle poll hands freed heap back to the system
//!   ([`HeapRelease`], [`crate::sys::release_free_heap`]).
//! - **Stop grace**: on stop the handler gets [`Handler::stopping`] with a deadline
//!   (`stop_grace` from now) to finish or hand back its work; then pending acks are sent
//!   and the session disconnects (unacknowledged messages are redelivered by the broker).
//!
//! ```no_run
//! use std::convert::Infallible;
//! use tq_common::service::{BrokerSession, Context, Handler, Service, Stop};
//!
//! /// A broker session (MQTT, STOMP ...): here one that never connects.
//! struct Demo;
//! impl BrokerSession for Demo {
//!     type Message<'a> = &'a [u8];
//!     type Ack = Infallible;
//!     type Error = std::io::Error;
//!     fn connect(&mut self, _stop: &Stop) -> Result<String, Self::Error> {
//!         Err(std::io::Error::other("no broker in this example"))
//!     }
//!     fn subscribe(&mut self) -> Result<String, Self::Error> { Ok("/topic".into()) }
//!     fn receive(&mut self) -> Result<Option<&[u8]>, Self::Error> { Ok(None) }
//!     fn ack(&mut self, ack: Infallible) -> Result<(), Self::Error> { match ack {} }
//!     fn disconnect(&mut self) {}
//!     fn reset(&mut self) {}
//! }
//!
//! struct Count(u64);
//! impl Handler<Demo> for Count {
//!     fn message(&mut self, payload: &[u8], cx: &mut Context<'_, Infallible>) {
//!         if payload.is_empty() {
//!             cx.skipped("/topic", 0, &"empty message");
//!             return;
//!         }
//!         self.0 += 1;
//!     }
//!     fn progress(&mut self) -> Option<String> {
//!         Some(format!("{} message(s) received", self.0))
//!     }
//! }
//!
//! fn main() -> tq_common::Result<()> {
//!     // ... provisioning, config ...
//!     let stop = Stop::on_signals()?;
//!     Service::new("Demo")
//!         .run(&mut Demo, &mut Count(0), &stop)
//!         .map_err(|e| tq_common::Error::remote("Demo", e.to_string()))
//! }
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::retry::{sleep_unless, Backoff};
use crate::{Error, Result};

/// The stop flag: set by SIGTERM/SIGINT once [`Stop::on_signals`] installed the handlers,
/// or by [`Stop::request`]. Cheap to clone; all clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// A flag only [`Stop::request`] sets (tests, or a service stopped by other means).
    pub fn new() -> Stop {
        Stop::default()
    }

    /// A flag that SIGTERM and SIGINT set (instead of ending the process).
    pub fn on_signals() -> Result<Stop> {
        let stop = Stop::new();
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(sig, stop.0.clone())
                .map_err(|e| Error::runtime(format!("installing the signal handler: {e}")))?;
        }
        Ok(stop)
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Requests the stop.
    pub fn request(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Sleeps `d`, in short slices; `true` when the stop cut it short.
    pub fn sleep(&self, d: Duration) -> bool {
        sleep_unless(d, Duration::from_millis(50), &|| self.requested())
    }
}

/// One subscriber session to a broker (or a list of brokers): the part of a protocol the
/// service loop drives. MQTT (tq-tie-listener) and STOMP (tq-resilient-fn) implement it.
///
/// The loop calls [`connect`](BrokerSession::connect) and then
/// [`subscribe`](BrokerSession::subscribe) after every (re)connect, then
/// [`receive`](BrokerSession::receive) until it fails, sending the handler's acks through
/// [`ack`](BrokerSession::ack) between receives. After any error it calls
/// [`reset`](BrokerSession::reset) and connects again; at the stop,
/// [`disconnect`](BrokerSession::disconnect).
pub trait BrokerSession {
    /// A received message. It may borrow the session's read buffer, so that receiving
    /// allocates nothing per message.
    type Message<'a>
    where
        Self: 'a;
    /// What a handler hands back when it is done with a message and the broker must hear of
    /// it (STOMP: the `ack` header value and the connection it came on, and the reply
    /// frames to send after the ACK). Sent from any thread through an [`Acker`].
    /// `std::convert::Infallible` when the protocol needs none (MQTT QoS 0).
    type Ack: Send + 'static;
    /// A connection or protocol error; its text names the broker.
    type Error: fmt::Display;

    /// Connects to one broker of the list (trying them in order; `stop` may cut a round
    /// short) and returns where, for the log (e.g. `127.0.0.1:8883 ({broker guid})`).
    fn connect(&mut self, stop: &Stop) -> std::result::Result<String, Self::Error>;

    /// Makes every subscription on the connection just opened and returns what was
    /// subscribed, for the log. Called after each connect: a new connection has none.
    fn subscribe(&mut self) -> std::result::Result<String, Self::Error>;

    /// Waits up to the session's poll interval for the next message (answering keep-alives
    /// meanwhile). `Ok(None)`: nothing came. An error means the connection is lost.
    fn receive(&mut self) -> std::result::Result<Option<Self::Message<'_>>, Self::Error>;

    /// Tells the broker a message is done with. A handle from an earlier connection must
    /// send nothing (its message is redelivered) and is not an error.
    fn ack(&mut self, ack: Self::Ack) -> std::result::Result<(), Self::Error>;

    /// Closes the connection, if any, politely (MQTT DISCONNECT, STOMP DISCONNECT): the stop.
    fn disconnect(&mut self);

    /// Forgets a connection that failed, without talking to the broker again (a write to a
    /// broker that stopped reading could block).
    fn reset(&mut self);

    /// Whether retrying cannot help (refused credentials, a subscription the broker will
    /// never allow, unusable TLS settings): the run ends with this error. Default: none.
    fn is_fatal(_error: &Self::Error) -> bool {
        false
    }
}

/// A change of the connection, as the loop reports it to [`Handler::connection`] (it logs
/// it too).
pub enum ConnectionEvent<'a> {
    /// Connected and subscribed; `number` counts connections from 1.
    Connected {
        /// Where (from [`BrokerSession::connect`]).
        broker: &'a str,
        /// What (from [`BrokerSession::subscribe`]).
        subscriptions: &'a str,
        /// 1 for the first connection, 2 after the first reconnect ...
        number: u64,
    },
    /// The connection was lost; the loop reconnects at once.
    Lost {
        /// Why.
        error: &'a dyn fmt::Display,
    },
    /// No broker could be reached (or the subscription failed); the next attempt is in
    /// `retry_in`.
    ConnectFailed {
        /// Why (the last attempt's error).
        error: &'a dyn fmt::Display,
        /// The backoff delay before the next attempt.
        retry_in: Duration,
    },
}

/// What a service does with messages; every method but [`Handler::message`] has a default.
pub trait Handler<S: BrokerSession> {
    /// One message. Work on it, and ack it through `cx.acks` when done (now, or later from
    /// another thread through a clone of the [`Acker`]); report an unusable one with
    /// [`Context::skipped`].
    fn message(&mut self, message: S::Message<'_>, cx: &mut Context<'_, S::Ack>);

    /// A connection change (already logged by the loop).
    fn connection(&mut self, _event: &ConnectionEvent<'_>) {}

    /// Nothing arrived within a poll interval.
    fn idle(&mut self) {}

    /// The periodic progress line, logged at info level (`None`: nothing to say).
    fn progress(&mut self) -> Option<String> {
        None
    }

    /// The stop was requested and no more messages come: finish or hand back the work in
    /// hand by `deadline` (acks sent through the [`Acker`] until then are still delivered).
    fn stopping(&mut self, _deadline: Instant) {}
}

/// Hands acks to the service loop, from any thread.
#[derive(Debug)]
pub struct Acker<A>(mpsc::Sender<A>);

impl<A> Clone for Acker<A> {
    fn clone(&self) -> Acker<A> {
        Acker(self.0.clone())
    }
}

impl<A: Send + 'static> Acker<A> {
    /// Queues `ack` for the connection; sent between two receives. After the loop ended it
    /// is dropped (the broker redelivers the message).
    pub fn ack(&self, ack: A) {
        let _ = self.0.send(ack);
    }
}

/// What [`Handler::message`] gets besides the message.
pub struct Context<'a, A> {
    /// Where acks go.
    pub acks: &'a Acker<A>,
    /// The stop flag (a handler may request the stop, e.g. on a fatal local error).
    pub stop: &'a Stop,
    warnings: &'a mut RateLimited,
}

impl<A> Context<'_, A> {
    /// Logs, rate-limited, that a message on `source` (topic, destination) of `size` bytes
    /// was skipped and why: `skipped a message on <source> (<size> bytes): <why>`.
    pub fn skipped(&mut self, source: &str, size: usize, why: &dyn fmt::Display) {
        self.warnings.warn(Instant::now(), || {
            format!("skipped a message on {source} ({size} bytes): {why}")
        });
    }
}

/// Rate-limited warnings: at most `limit` per `window` are logged; the others are counted,
/// and one line says how many when the window is over.
#[derive(Debug)]
pub struct RateLimited {
    limit: u32,
    window: Duration,
    what: &'static str,
    started: Instant,
    logged: u32,
    suppressed: u64,
}

impl RateLimited {
    /// At most `limit` warnings per `window`; `what` names the suppressed ones in the count
    /// line (`N more <what> were skipped`).
    pub fn new(limit: u32, window: Duration, what: &'static str) -> RateLimited {
        RateLimited {
            limit,
            window,
            what,
            started: Instant::now(),
            logged: 0,
            suppressed: 0,
        }
    }

    /// Logs the warning `text()` (built only when it is logged), unless this window's
    /// limit is reached. Returns whether it was logged.
    pub fn warn(&mut self, now: Instant, text: impl FnOnce() -> String) -> bool {
        self.roll(now);
        if self.logged < self.limit {
            self.logged += 1;
            log::warn!("{}", text());
            true
        } else {
            self.suppressed += 1;
            false
        }
    }

    /// Ends the window when it is over: logs the count of suppressed warnings, if any, and
    /// returns it.
    pub fn roll(&mut self, now: Instant) -> u64 {
        if now.saturating_duration_since(self.started) < self.window {
            return 0;
        }
        let n = std::mem::take(&mut self.suppressed);
        if n > 0 {
            log::warn!("{n} more {} were skipped", self.what);
        }
        self.started = now;
        self.logged = 0;
        n
    }
}

/// Hands freed heap back to the system on the first idle moment after work (glibc keeps a
/// burst's peak otherwise); see [`crate::sys::release_free_heap`].
#[derive(Debug, Default)]
pub struct HeapRelease {
    used: bool,
}

impl HeapRelease {
    /// Work was done (heap may have been used).
    pub fn used(&mut self) {
        self.used = true;
    }

    /// Idle now: releases freed heap if there was work since the last release. Returns
    /// whether it did.
    pub fn idle(&mut self) -> bool {
        let release = std::mem::take(&mut self.used);
        if release {
            crate::sys::release_free_heap();
        }
        release
    }
}

/// The loop's settings; [`Service::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct Service {
    /// The system, as log lines name it ("DXL", "Resilient").
    pub system: String,
    /// First delay after a failed connect ...
    pub backoff_initial: Duration,
    /// ... doubling up to this ...
    pub backoff_max: Duration,
    /// ... plus up to this fraction at random.
    pub backoff_jitter: f64,
    /// How often the handler's progress line is logged.
    pub progress_every: Duration,
    /// How long [`Handler::stopping`] gets after the stop.
    pub stop_grace: Duration,
    /// Skipped-message warnings logged per minute at most.
    pub warnings_per_minute: u32,
}

impl Service {
    /// Backoff 1 s doubling to 60 s with 25 % jitter, progress every 60 s, 1.5 s stop
    /// grace, 10 skipped-message warnings a minute.
    pub fn new(system: impl Into<String>) -> Service {
        Service {
            system: system.into(),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            backoff_jitter: 0.25,
            progress_every: Duration::from_secs(60),
            stop_grace: Duration::from_millis(1500),
            warnings_per_minute: 10,
        }
    }

    /// Runs until `stop` (then `Ok`) or a fatal session error (then that error); see the
    /// module docs.
    pub fn run<S, H>(
        &self,
        session: &mut S,
        handler: &mut H,
        stop: &Stop,
    ) -> std::result::Result<(), S::Error>
    where
        S: BrokerSession,
        H: Handler<S>,
    {
        let (tx, acks_rx) = mpsc::channel::<S::Ack>();
        let acker = Acker(tx);
        let mut warnings = RateLimited::new(
            self.warnings_per_minute,
            Duration::from_secs(60),
            "malformed messages",
        );
        let mut backoff = Backoff::new(self.backoff_initial, self.backoff_max, self.backoff_jitter);
        let mut heap = HeapRelease::default();
        let mut connected = false;
        let mut connections = 0u64;
        let mut retry_in: Option<Duration> = None;
        let mut last_progress = Instant::now();
        while !stop.requested() {
            if !connected {
                if let Some(d) = retry_in.take() {
                    if stop.sleep(d) {
                        break;
                    }
                }
                match session
                    .connect(stop)
                    .and_then(|broker| session.subscribe().map(|subs| (broker, subs)))
                {
                    Ok((broker, subscriptions)) => {
                        connected = true;
                        connections += 1;
                        backoff.reset();
                        log::info!(
                            "listening: connected to {} broker {broker}, subscribed to {subscriptions}",
                            self.system
                        );
                        handler.connection(&ConnectionEvent::Connected {
                            broker: &broker,
                            subscriptions: &subscriptions,
                            number: connections,
                        });
                    }
                    Err(error) => {
                        session.reset();
                        if S::is_fatal(&error) {
                            return Err(error);
                        }
                        if stop.requested() {
                            break;
                        }
                        let d = backoff.next_delay();
                        log::warn!(
                            "no {} broker reachable ({error}); next attempt in {:.1} s",
                            self.system,
                            d.as_secs_f64()
                        );
                        handler.connection(&ConnectionEvent::ConnectFailed {
                            error: &error,
                            retry_in: d,
                        });
                        retry_in = Some(d);
                    }
                }
                continue;
            }
            let lost = match session.receive() {
                Ok(Some(m)) => {
                    heap.used();
                    handler.message(
                        m,
                        &mut Context {
                            acks: &acker,
                            stop,
                            warnings: &mut warnings,
                        },
                    );
                    None
                }
                Ok(None) => {
                    handler.idle();
                    heap.idle();
                    None
                }
                Err(e) => Some(e),
            };
            let lost = match lost {
                Some(e) => Some(e),
                None => send_acks(session, &acks_rx).err(),
            };
            if let Some(error) = lost {
                session.reset();
                connected = false;
                if S::is_fatal(&error) {
                    return Err(error);
                }
                log::warn!("{} connection lost: {error}; reconnecting", self.system);
                handler.connection(&ConnectionEvent::Lost { error: &error });
            }
            let now = Instant::now();
            warnings.roll(now);
            if now.saturating_duration_since(last_progress) >= self.progress_every {
                last_progress = now;
                if let Some(line) = handler.progress() {
                    log::info!("{line}");
                }
            }
        }
        handler.stopping(Instant::now() + self.stop_grace);
        if connected {
            if let Err(e) = send_acks(session, &acks_rx) {
                log::warn!(
                    "{}: acknowledgements not sent before stopping ({e}); the broker redelivers those messages",
                    self.system
                );
            }
        }
        session.disconnect();
        Ok(())
    }
}

/// Sends the acks queued so far.
fn send_acks<S: BrokerSession>(
    session: &mut S,
    acks: &mpsc::Receiver<S::Ack>,
) -> std::result::Result<(), S::Error> {
    while let Ok(a) = acks.try_recv() {
        session.ack(a)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limited_logs_the_limit_then_counts_per_window() {
        let t0 = Instant::now();
        let mut r = RateLimited::new(3, Duration::from_secs(60), "malformed messages");
        let logged = (0..5).filter(|_| r.warn(t0, || "x".into())).count();
        assert_eq!(logged, 3);
        assert_eq!(r.roll(t0 + Duration::from_secs(59)), 0, "window not over");
        assert_eq!(r.roll(t0 + Duration::from_secs(61)), 2);
        let t1 = t0 + Duration::from_secs(62);
        let logged = (0..4).filter(|_| r.warn(t1, || "y".into())).count();
        assert_eq!(logged, 3, "a new window logs again");
        assert_eq!(r.roll(t1 + Duration::from_secs(30)), 0);
        assert_eq!(r.roll(t1 + Duration::from_secs(60)), 1);
    }

    #[test]
    fn heap_is_released_once_per_idle_after_work() {
        let mut h = HeapRelease::default();
        assert!(!h.idle());
        h.used();
        h.used();
        assert!(h.idle());
        assert!(!h.idle());
    }

    #[test]
    fn stop_cuts_a_sleep_short_and_clones_share_the_flag() {
        let s = Stop::new();
        let c = s.clone();
        assert!(!s.sleep(Duration::from_millis(5)));
        c.request();
        let t = Instant::now();
        assert!(s.sleep(Duration::from_secs(10)));
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
