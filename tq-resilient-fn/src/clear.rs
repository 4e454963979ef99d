//! `tq-resilient-fn clear-destination`: the guide's troubleshooting step "Clearing a
//! Resilient Message Destination" (its `resilient_ack_all_messages.py`), built in. It shows
//! how many messages wait on `actions.<org>.<destination>` (an ActiveMQ browser
//! subscription, which consumes nothing), asks (unless `-y`), then acknowledges every
//! message until none has come for [`IDLE`]. Nothing is done for them: no reply, no
//! ThreatQ call. It holds the service's lock, so it never runs beside the service.

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use crate::customize::confirm;
use crate::error::{Error, Result};
use crate::stomp::{self, connection::tls_connector, Command, Connection, Frame, Subscription};

/// How long the destination must stay quiet before clearing ends.
pub const IDLE: Duration = Duration::from_secs(2);

fn broker(e: stomp::Error) -> Error {
    Error::Remote(tq_common::Error::remote(
        "Resilient message broker",
        e.to_string(),
    ))
}

/// How many messages wait on `destination` (browsed, not consumed); `None` when the broker
/// does not allow browsing.
pub fn count_waiting(cfg: &stomp::Config, destination: &str) -> Result<Option<usize>> {
    let connector = tls_connector(cfg).map_err(broker)?;
    let mut c = Connection::open(cfg, connector.as_ref()).map_err(broker)?;
    c.set_poll_interval(Duration::from_millis(200))
        .map_err(broker)?;
    let sub = Frame::new(Command::Subscribe)
        .with("destination", destination)
        .with("id", "browse")
        .with("ack", "auto")
        .with("browser", "true");
    if let Err(e) = c.request(sub) {
        log::info!("browsing {destination} is not allowed ({e}); the count is unknown");
        return Ok(None);
    }
    let mut n = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match c.receive().map_err(broker)? {
            Some(m) if m.header("browser") == Some("end") => {
                let _ = c.disconnect();
                return Ok(Some(n));
            }
            Some(_) => n += 1,
            None => {}
        }
    }
    let _ = c.disconnect();
    Ok(Some(n))
}

/// Acknowledges every message on `destination` until it has been quiet for `idle`; returns
/// how many.
pub fn ack_all(cfg: &stomp::Config, destination: &str, idle: Duration) -> Result<usize> {
    let connector = tls_connector(cfg).map_err(broker)?;
    let mut c = Connection::open(cfg, connector.as_ref()).map_err(broker)?;
    c.set_poll_interval(Duration::from_millis(100))
        .map_err(broker)?;
    c.subscribe(&Subscription::client_individual(destination, 500))
        .map_err(broker)?;
    let mut n = 0;
    let mut last_ack: Option<String> = None;
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < idle {
        match c.receive().map_err(broker)? {
            Some(m) => {
                if let Some(prev) = last_ack.replace(m.ack_id().to_string()) {
                    c.ack(&prev).map_err(broker)?;
                }
                n += 1;
                quiet_since = Instant::now();
            }
            None => {
                if let Some(prev) = last_ack.take() {
                    // Confirmed: the broker has processed it before we go on waiting.
                    c.ack_confirmed(&prev).map_err(broker)?;
                }
            }
        }
    }
    if let Some(prev) = last_ack.take() {
        c.ack_confirmed(&prev).map_err(broker)?;
    }
    c.disconnect().map_err(broker)?;
    Ok(n)
}

/// The command: count, ask, acknowledge all.
pub fn run(
    cfg: &stomp::Config,
    destination: &str,
    yes: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<usize> {
    let waiting = count_waiting(cfg, destination)?;
    match waiting {
        Some(n) => {
            let _ = writeln!(out, "{n} message(s) waiting on {destination}");
            if n == 0 && !yes {
                return Ok(0);
            }
        }
        None => {
            let _ = writeln!(
                out,
                "the number of messages waiting on {destination} is unknown (the broker does not \
                 allow browsing)"
            );
        }
    }
    let q = format!(
        "Acknowledge every message on {destination}? They are removed without being worked on."
    );
    if !confirm(&q, yes, input, out)? {
        let _ = writeln!(out, "Nothing acknowledged.");
        return Ok(0);
    }
    let n = ack_all(cfg, destination, IDLE)?;
    let _ = writeln!(out, "Acknowledged {n} message(s) on {destination}.");
    log::info!("clear-destination: acknowledged {n} message(s) on {destination}");
    Ok(n)
}
