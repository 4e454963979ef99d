//! The addresses a sync writes: ThreatQ's details pages (ThreatQ Link, ThreatQ Indicators),
//! the ticket's page in RT (the event description), and the name of the ThreatQ source that
//! stands for this RT instance. Both modes build them the same way: the action from
//! `ThreatQ_Host` and RT's `WebURL`, the cron mode from `threatq_link_host` (default
//! `[threatq] host`) and `rt_host`.

use tq_common::threatq::Collection;

/// Where the links point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    /// ThreatQ's base URL, `https://host[:port]`.
    pub threatq: String,
    /// RT's web URL with its web path, `http(s)://host[:port][/path]` (no trailing `/`).
    pub rt: String,
}

impl Urls {
    /// The links of ThreatQ at `threatq` and RT at `rt` (both already normalised by their
    /// option kinds; a trailing `/` is dropped).
    pub fn new(threatq: &str, rt: &str) -> Urls {
        Urls {
            threatq: threatq.trim_end_matches('/').to_string(),
            rt: rt.trim_end_matches('/').to_string(),
        }
    }

    /// `https://<ThreatQ>/<events|indicators|...>/<id>/details`.
    pub fn details(&self, collection: &Collection, id: i64) -> String {
        format!("{}/{}/{id}/details", self.threatq, collection.ui_path())
    }

    /// The event's page (the ThreatQ Link value).
    pub fn event(&self, id: i64) -> String {
        self.details(&Collection::Events, id)
    }

    /// The ticket's page in RT.
    pub fn ticket(&self, id: u64) -> String {
        format!("{}/Ticket/Display.html?id={id}", self.rt)
    }

    /// The ThreatQ source that stands for this RT instance: `Request Tracker <host>[/path]`
    /// (scheme, default port and trailing `/` left out; the host in lower case), the same
    /// from RT's `WebURL` and from the cron mode's `rt_host` when both name RT alike.
    pub fn source(&self) -> String {
        let (scheme, rest) = self.rt.split_once("://").unwrap_or(("https", &self.rt));
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let mut host = host.to_ascii_lowercase();
        let default_port = if scheme.eq_ignore_ascii_case("http") {
            ":80"
        } else {
            ":443"
        };
        if let Some(h) = host.strip_suffix(default_port) {
            host = h.to_string();
        }
        format!("Request Tracker {host}{}", path.trim_end_matches('/'))
    }
}

/// The event id of a ThreatQ Link value (`.../events/<id>/details`, anywhere in it).
pub fn event_id_in(link: &str) -> Option<i64> {
    let i = link.find("/events/")?;
    let rest = &link[i + "/events/".len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_source() {
        let u = Urls::new("https://tq.example:8443/", "https://RT.example.com:443/rt/");
        assert_eq!(u.event(5), "https://tq.example:8443/events/5/details");
        assert_eq!(
            u.details(&Collection::Indicators, 9),
            "https://tq.example:8443/indicators/9/details"
        );
        assert_eq!(
            u.ticket(12),
            "https://RT.example.com:443/rt/Ticket/Display.html?id=12"
        );
        assert_eq!(u.source(), "Request Tracker rt.example.com/rt");
        assert_eq!(
            Urls::new("https://tq", "http://127.0.0.1:8080").source(),
            "Request Tracker 127.0.0.1:8080"
        );
        assert_eq!(
            Urls::new("https://tq", "http://rt.example.com:80").source(),
            Urls::new("https://tq", "http://rt.example.com/").source()
        );
    }

    #[test]
    fn event_ids_of_links() {
        assert_eq!(event_id_in("https://tq/events/42/details"), Some(42));
        assert_eq!(
            event_id_in("https://tq/events/7/details (ThreatQ sync pending since x)"),
            Some(7)
        );
        assert_eq!(event_id_in("ThreatQ sync pending"), None);
        assert_eq!(event_id_in("https://tq/events/x"), None);
    }
}
