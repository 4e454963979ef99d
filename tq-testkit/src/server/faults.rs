//! Fault injection shared by every fake: the next N (matching) requests fail in a chosen way.

use std::collections::VecDeque;
use std::time::Duration;

use super::message::Request;

/// How an injected fault answers a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with a small JSON body (`{"errors":["injected fault"]}`), without
    /// calling the handler.
    Status(u16),
    /// Answer `429 Too Many Requests` with `Retry-After: <retry_after_secs>`.
    TooManyRequests {
        /// Value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// Wait this long, then answer normally (to trip client timeouts).
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
}

/// Which requests a fault applies to.
///
/// The filter is written `"[METHOD ]PATH"`: `"/api/token"` matches any method on exactly
/// that path, `"POST /api/indicators/consume"` only POSTs, and a trailing `*` makes the path
/// a prefix (`"/api/indicators/*"`). An empty filter (or `"*"`) matches every request.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PathFilter {
    method: Option<String>,
    path: String,
    prefix: bool,
}

impl PathFilter {
    /// Parses the `"[METHOD ]PATH"` form described on the type.
    pub fn parse(s: &str) -> PathFilter {
        let s = s.trim();
        let (method, path) = match s.split_once(' ') {
            Some((m, p)) => (Some(m.trim().to_ascii_uppercase()), p.trim()),
            None => (None, s),
        };
        let (path, prefix) = match path.strip_suffix('*') {
            Some(p) => (p.to_string(), true),
            None => (path.to_string(), false),
        };
        PathFilter {
            method,
            prefix: prefix || path.is_empty(),
            path,
        }
    }

    /// Whether `req` matches.
    pub fn matches(&self, req: &Request) -> bool {
        if let Some(m) = &self.method {
            if !req.method.eq_ignore_ascii_case(m) {
                return false;
            }
        }
        if self.prefix {
            req.path.starts_with(&self.path)
        } else {
            req.path == self.path
        }
    }
}

#[derive(Debug)]
struct Rule {
    filter: PathFilter,
    remaining: usize,
    fault: Fault,
}

/// The queue of pending faults; the first rule that matches a request fires (once per
/// request) and is removed when its count reaches zero.
#[derive(Debug, Default)]
pub struct FaultQueue {
    rules: VecDeque<Rule>,
}

impl FaultQueue {
    /// Adds a rule: the next `n` requests matching `filter` get `fault`.
    pub fn push(&mut self, filter: PathFilter, n: usize, fault: Fault) {
        if n > 0 {
            self.rules.push_back(Rule {
                filter,
                remaining: n,
                fault,
            });
        }
    }

    /// Takes the fault for `req`, if any rule matches.
    pub fn take(&mut self, req: &Request) -> Option<Fault> {
        let i = self.rules.iter().position(|r| r.filter.matches(req))?;
        let rule = &mut self.rules[i];
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            self.rules.remove(i);
        }
        Some(fault)
    }

    /// Drops every pending rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// How many faults are still pending in total.
    pub fn pending(&self) -> usize {
        self.rules.iter().map(|r| r.remaining).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(m: &str, p: &str) -> Request {
        Request {
            method: m.into(),
            path: p.into(),
            query: vec![],
            headers: vec![],
            body: vec![],
        }
    }

    #[test]
    fn filters_match_method_path_and_prefix() {
        assert!(PathFilter::parse("").matches(&req("GET", "/x")));
        assert!(PathFilter::parse("*").matches(&req("GET", "/x")));
        assert!(PathFilter::parse("/api/token").matches(&req("POST", "/api/token")));
        assert!(!PathFilter::parse("/api/token").matches(&req("POST", "/api/token2")));
        assert!(PathFilter::parse("post /api/*").matches(&req("POST", "/api/x")));
        assert!(!PathFilter::parse("POST /api/*").matches(&req("GET", "/api/x")));
    }

    #[test]
    fn queue_counts_down_per_matching_request() {
        let mut q = FaultQueue::default();
        q.push(PathFilter::parse("/a"), 2, Fault::Status(500));
        q.push(PathFilter::parse(""), 1, Fault::Drop);
        assert_eq!(q.take(&req("GET", "/a")), Some(Fault::Status(500)));
        assert_eq!(q.take(&req("GET", "/b")), Some(Fault::Drop));
        assert_eq!(q.take(&req("GET", "/b")), None);
        assert_eq!(q.take(&req("GET", "/a")), Some(Fault::Status(500)));
        assert_eq!(q.take(&req("GET", "/a")), None);
        assert_eq!(q.pending(), 0);
    }
}
