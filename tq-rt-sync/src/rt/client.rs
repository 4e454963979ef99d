//! [`RtClient`]: the REST 1.0 calls tq-rt-sync makes, each mapped to a typed result or an
//! error naming Request Tracker, the request and RT's message. RT answers `200 Ok` with a
//! `# ...` comment for many failures ("Ticket 9 does not exist."); those become errors too,
//! with status 404 for a missing ticket and 403 for a refused right, so a caller can tell.

use tq_common::http::{encode_path_segment, Http};
use tq_common::{Error, Result, Secret};

use super::customfields::{parse_defs, CustomFieldDef};
use super::form::{comment_text, parse_forms, Form, Keys, Reply};
use super::history::{parse_history, HistoryEntry, Transaction};
use super::links::{parse_links, Link, LinkType};
use super::search::parse_ids;
use super::ticket::{created_id, NewTicket, Ticket, TicketUpdate};
use super::transport::{Call, Transport};

/// A Request Tracker REST 1.0 client for one user.
#[derive(Debug)]
pub struct RtClient {
    transport: Transport,
}

/// What RT said of an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    /// RT applied the edit ("Ticket N updated."). RT says so for any edit that names a
    /// custom field, even when the field held that value already: compare before writing.
    Updated,
    /// RT answered with nothing: every field named held its value already (only core
    /// fields, such as `Status`, are compared by RT).
    Unchanged,
}

impl RtClient {
    /// A client for `user` at RT's web URL (a host, `host:port`, a host with web path, or a
    /// URL; https unless it says http). Nothing is sent before the first call.
    pub fn new(http: Http, web_url: &str, user: &str, password: Secret) -> Result<RtClient> {
        Ok(RtClient {
            transport: Transport::new(http, web_url, user, password)?,
        })
    }

    /// `.../REST/1.0/`
    pub fn base_url(&self) -> String {
        self.transport.base()
    }

    /// How many HTTP requests this client sent (logins included).
    pub fn requests(&self) -> u64 {
        self.transport.requests()
    }

    /// The session cookie once logged in (a cron run keeps it for the next run).
    pub fn session_cookie(&self) -> Option<Secret> {
        self.transport.session_cookie()
    }

    /// Resumes the session of an earlier run (a new login follows by itself when RT has
    /// ended it).
    pub fn resume(&self, cookie: Secret) {
        self.transport.resume(cookie)
    }

    /// Logs in now (otherwise the first call does); checks the credentials.
    pub fn login(&self) -> Result<()> {
        self.transport.login()
    }

    /// Ends the RT session (a cron run calls it last, so sessions do not pile up in RT);
    /// a later call logs in again.
    pub fn logout(&self) -> Result<()> {
        self.transport.logout()
    }

    /// Sends a call and returns its answer if RT's status is 200.
    fn ok(&self, call: &Call) -> Result<Reply> {
        let reply = self.transport.call(call)?;
        match reply.status.as_ref().map(|s| s.code) {
            Some(200) => Ok(reply),
            _ => Err(self.transport.status_error(call, &reply)),
        }
    }

    /// An error for RT's refusal comment, with 404 for a missing object and 403 for a right.
    fn refusal(&self, call: &Call, comments: &str) -> Error {
        let status = if comments.contains("does not exist") || comments.contains("No queue named") {
            Some(404)
        } else if comments.contains("not allowed") || comments.contains("ermission") {
            Some(403)
        } else {
            None
        };
        self.transport.refused(call, comments, status)
    }

    /// The one form of a read; a form with only comments is RT's refusal.
    fn read_form(&self, call: &Call) -> Result<Form> {
        let form = first_form(&self.ok(call)?);
        if form.fields.is_empty() {
            let why = form.comment_text();
            return Err(self.refusal(
                call,
                if why.is_empty() {
                    "RT answered with an empty form"
                } else {
                    &why
                },
            ));
        }
        Ok(form)
    }

    /// A ticket with every field (custom fields of its queue included).
    pub fn ticket(&self, id: u64) -> Result<Ticket> {
        self.ticket_call(Call::get(format!("ticket/{id}/show")))
    }

    /// A ticket with only the fields named (`Status`, `CF.{ThreatQ Link}`, ...).
    pub fn ticket_fields(&self, id: u64, fields: &[&str]) -> Result<Ticket> {
        self.ticket_call(Call::get(format!("ticket/{id}/show")).field("fields", fields.join(",")))
    }

    fn ticket_call(&self, call: Call) -> Result<Ticket> {
        let form = self.read_form(&call)?;
        Ticket::from_form(form).ok_or_else(|| {
            self.transport
                .refused(&call, "the answer holds no id: ticket/<n>", None)
        })
    }

    /// Creates a ticket; returns its id.
    pub fn create_ticket(&self, ticket: &NewTicket) -> Result<u64> {
        let content = ticket
            .content()
            .map_err(|e| Error::runtime(e.to_string()))?;
        let call = Call::post("ticket/new", false).field("content", content);
        let reply = self.transport.call(&call)?;
        let comments = comment_lines(&reply.body);
        match (reply.status.as_ref().map(|s| s.code), created_id(&comments)) {
            (Some(200), Some(id)) => Ok(id),
            (Some(200), None) => Err(self.refusal(&call, &comment_text_of(&comments))),
            _ => Err(self.transport.status_error(&call, &reply)),
        }
    }

    /// Changes a ticket (see [`TicketUpdate`]). Every value reaches RT as the value of its
    /// own field, whatever lines it holds.
    pub fn edit_ticket(&self, id: u64, update: &TicketUpdate) -> Result<Edited> {
        let content = update
            .content()
            .map_err(|e| Error::runtime(e.to_string()))?;
        let call = Call::post(format!("ticket/{id}/edit"), true).field("content", content);
        let reply = self.transport.call(&call)?;
        let Some(status) = reply.status.as_ref() else {
            return Ok(Edited::Unchanged);
        };
        if status.code != 200 {
            return Err(self.transport.status_error(&call, &reply));
        }
        let comments = comment_lines(&reply.body);
        if comments.contains(&format!("# Ticket {id} updated.")) {
            Ok(Edited::Updated)
        } else if comments.trim().is_empty() {
            Ok(Edited::Unchanged)
        } else {
            Err(self.refusal(&call, &comment_text_of(&comments)))
        }
    }

    /// Adds a comment (not sent to requestors).
    pub fn comment(&self, id: u64, text: &str) -> Result<()> {
        self.message(id, "comment", text, "Comments added")
    }

    /// Adds a correspondence (a reply, sent to requestors).
    pub fn correspond(&self, id: u64, text: &str) -> Result<()> {
        self.message(id, "correspond", text, "Correspondence added")
    }

    fn message(&self, id: u64, action: &str, text: &str, done: &str) -> Result<()> {
        let content = super::form::compose_form(&[
            ("id", id.to_string().as_str()),
            ("Action", action),
            ("Text", text),
        ])
        .map_err(|e| Error::runtime(e.to_string()))?;
        let call = Call::post(format!("ticket/{id}/comment"), false).field("content", content);
        let reply = self.transport.call(&call)?;
        let comments = comment_lines(&reply.body);
        match reply.status.as_ref().map(|s| s.code) {
            Some(200) if comments.contains(done) => Ok(()),
            Some(200) => Err(self.refusal(&call, &comment_text_of(&comments))),
            _ if !comments.is_empty() => Err(self.refusal(&call, &comment_text_of(&comments))),
            _ => Err(self.transport.status_error(&call, &reply)),
        }
    }

    /// The ticket's links, in both directions.
    pub fn links(&self, id: u64) -> Result<Vec<Link>> {
        let call = Call::get(format!("ticket/{id}/links/show"));
        let form = first_form(&self.ok(&call)?);
        if form.get("id").is_none() {
            return Err(self.refusal(&call, &form.comment_text()));
        }
        Ok(parse_links(&form))
    }

    /// Links ticket `id` to `to` (a ticket id or a URI). An existing link is not an error.
    pub fn add_link(&self, id: u64, kind: LinkType, to: &str) -> Result<()> {
        let call = Call::post("ticket/link", true)
            .field("id", id.to_string())
            .field("rel", kind.rel())
            .field("to", to);
        let reply = self.ok(&call)?;
        if reply.body.contains("Created link") {
            Ok(())
        } else {
            Err(self.refusal(&call, reply.body.trim()))
        }
    }

    /// The short history: transaction ids and descriptions, oldest first.
    pub fn history(&self, id: u64) -> Result<Vec<HistoryEntry>> {
        let call = Call::get(format!("ticket/{id}/history"));
        let form = first_form(&self.ok(&call)?);
        if form.fields.is_empty() && form.comment_text().contains("does not exist") {
            return Err(self.refusal(&call, &form.comment_text()));
        }
        Ok(parse_history(&form))
    }

    /// Every transaction in full, oldest first.
    pub fn transactions(&self, id: u64) -> Result<Vec<Transaction>> {
        let call = Call::get(format!("ticket/{id}/history")).field("format", "l");
        let reply = self.ok(&call)?;
        let forms = parse_forms(&reply.body, Keys::Any);
        if forms.iter().all(|f| f.fields.is_empty()) {
            let why: Vec<String> = forms.iter().map(Form::comment_text).collect();
            let why = why.join("; ");
            if why.contains("does not exist") {
                return Err(self.refusal(&call, &why));
            }
        }
        Ok(forms.iter().filter_map(Transaction::from_form).collect())
    }

    /// One transaction of a ticket in full.
    pub fn transaction(&self, id: u64, txn: u64) -> Result<Transaction> {
        let call = Call::get(format!("ticket/{id}/history/id/{txn}"));
        let form = self.read_form(&call)?;
        Transaction::from_form(&form).ok_or_else(|| {
            self.transport
                .refused(&call, "the answer holds no transaction id", None)
        })
    }

    /// The ids of the tickets a TicketSQL query finds, in `orderby` order (`id`, `-LastUpdated`).
    pub fn search(&self, query: &str, orderby: &str) -> Result<Vec<u64>> {
        // POST: a query listing many ids would not fit in a URL.
        let call = Call::post("search/ticket", true)
            .field("query", query)
            .field("orderby", orderby)
            .field("format", "i");
        let reply = self.ok(&call)?;
        Ok(parse_ids(&reply.body))
    }

    /// Everything a sync reads of a ticket, in one request (`show` of several objects): the
    /// ticket with every field, its links, its short history and, when `txn` is given, that
    /// transaction in full. A missing ticket is an error with status 404.
    pub fn snapshot(&self, id: u64, txn: Option<u64>) -> Result<Snapshot> {
        let mut call = Call::post("show", true)
            .field("id", format!("ticket/{id}"))
            .field("id", format!("ticket/{id}/links"))
            .field("id", format!("ticket/{id}/history"));
        if let Some(t) = txn {
            call = call.field("id", format!("ticket/{id}/history/id/{t}"));
        }
        let reply = self.ok(&call)?;
        let forms = parse_forms(&reply.body, Keys::Any);
        let mut forms = forms.into_iter();
        let first = forms.next().unwrap_or_default();
        let ticket = match Ticket::from_form(first.clone()) {
            Some(t) => t,
            None => {
                let why = first.comment_text();
                return Err(self.refusal(
                    &call,
                    if why.is_empty() {
                        "the answer holds no ticket"
                    } else {
                        &why
                    },
                ));
            }
        };
        let mut snap = Snapshot {
            ticket,
            links: Vec::new(),
            history: Vec::new(),
            transaction: None,
        };
        for form in forms {
            match form.get("id").map(str::trim) {
                Some(i) if i.ends_with("/links") => snap.links = parse_links(&form),
                Some(_) => snap.transaction = Transaction::from_form(&form),
                None => snap.history = parse_history(&form),
            }
        }
        Ok(snap)
    }

    /// Transactions of a ticket in full, by id, in one request (`history/id/1,2,3`).
    pub fn transactions_by_id(&self, id: u64, txns: &[u64]) -> Result<Vec<Transaction>> {
        if txns.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = txns.iter().map(u64::to_string).collect();
        let call = Call::post("show", true)
            .field("id", format!("ticket/{id}/history/id/{}", list.join(",")));
        let reply = self.ok(&call)?;
        Ok(parse_forms(&reply.body, Keys::Any)
            .iter()
            .filter_map(Transaction::from_form)
            .collect())
    }

    /// Several tickets with only the `fields` named, in one request; each id maps to its
    /// ticket or to RT's reason (a missing ticket: "Ticket 9 does not exist.").
    pub fn tickets_fields(
        &self,
        ids: &[u64],
        fields: &[&str],
    ) -> Result<Vec<(u64, std::result::Result<Ticket, String>)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = ids.iter().map(u64::to_string).collect();
        let call = Call::post("show", true)
            .field("id", format!("ticket/{}", list.join(",")))
            .field("fields", fields.join(","));
        let reply = self.ok(&call)?;
        let mut out: Vec<(u64, std::result::Result<Ticket, String>)> = Vec::new();
        for form in parse_forms(&reply.body, Keys::Any) {
            if let Some(t) = Ticket::from_form(form.clone()) {
                out.push((t.id, Ok(t)));
            } else {
                let why = form.comment_text();
                if let Some(id) = missing_ticket(&why) {
                    out.push((id, Err(why)));
                }
            }
        }
        Ok(out)
    }

    /// Changes several tickets in one request (`edit` with one form per ticket). Each id
    /// maps to [`Edited`] or RT's reason; a ticket RT says nothing about is `Unchanged`.
    pub fn edit_many(
        &self,
        updates: &[(u64, TicketUpdate)],
    ) -> Result<Vec<(u64, std::result::Result<Edited, String>)>> {
        if updates.is_empty() {
            return Ok(Vec::new());
        }
        let mut forms = Vec::new();
        for (id, u) in updates {
            let with_id = u.clone().with_id(*id);
            forms.push(
                with_id
                    .content()
                    .map_err(|e| Error::runtime(e.to_string()))?,
            );
        }
        let call = Call::post("edit", true).field("content", forms.join("--\n"));
        let reply = self.transport.call(&call)?;
        let code = reply.status.as_ref().map(|s| s.code);
        if !matches!(code, None | Some(200) | Some(400) | Some(409)) {
            return Err(self.transport.status_error(&call, &reply));
        }
        let mut out = Vec::new();
        let forms = parse_forms(&reply.body, Keys::Any);
        for (id, _) in updates {
            let updated = format!("Ticket {id} updated.");
            let mut result = Ok(Edited::Unchanged);
            for f in &forms {
                let text = f.comment_text();
                if text.split("; ").any(|c| c == updated) {
                    result = Ok(Edited::Updated);
                    break;
                }
                if f.get("id").map(str::trim) == Some(&format!("ticket/{id}"))
                    || text.contains(&format!("Ticket {id} does not exist"))
                {
                    result = Err(if text.is_empty() {
                        "RT refused the change".to_string()
                    } else {
                        text
                    });
                    break;
                }
            }
            out.push((*id, result));
        }
        Ok(out)
    }

    /// The ticket custom fields of a queue (by name or id), with their single/multi kind.
    pub fn queue_custom_fields(&self, queue: &str) -> Result<Vec<CustomFieldDef>> {
        let call = Call::get(format!(
            "queue/{}/ticketcustomfields",
            encode_path_segment(queue)
        ))
        .field("format", "l");
        let reply = self.ok(&call)?;
        // A missing queue comes back as a comment above `id: queue/<name>/...`.
        let form = first_form(&reply);
        let numeric_id = form
            .get("id")
            .and_then(|i| i.trim().strip_prefix("queue/"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !numeric_id {
            return Err(self.refusal(&call, &comment_text_of(&comment_lines(&reply.body))));
        }
        Ok(parse_defs(&reply.body))
    }
}

/// Everything a sync reads of a ticket ([`RtClient::snapshot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The ticket with every field.
    pub ticket: Ticket,
    /// Its links, both directions.
    pub links: Vec<Link>,
    /// Its short history (transaction ids and descriptions), oldest first.
    pub history: Vec<HistoryEntry>,
    /// The transaction asked for, in full.
    pub transaction: Option<Transaction>,
}

/// The id of RT's "Ticket <id> does not exist." comment.
fn missing_ticket(comment: &str) -> Option<u64> {
    comment
        .split("Ticket ")
        .nth(1)?
        .strip_suffix(" does not exist.")?
        .trim()
        .parse()
        .ok()
}

/// The first form of an answer (empty when there is none).
fn first_form(reply: &Reply) -> Form {
    parse_forms(&reply.body, Keys::Any)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// The `#` lines of a body, one per line.
fn comment_lines(body: &str) -> String {
    body.lines()
        .filter(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn comment_text_of(comments: &str) -> String {
    let lines: Vec<String> = comments.lines().map(str::to_string).collect();
    let t = comment_text(&lines);
    if t.is_empty() {
        "RT answered without saying what it did".to_string()
    } else {
        t
    }
}
