//! Tickets in REST 1.0 forms: [`Ticket`] from `ticket/<id>/show`, and the forms that create
//! ([`NewTicket`]) and edit ([`TicketUpdate`]) one, custom fields included.

use super::form::{compose_form, join_values, split_values, BadField, Form};

/// A custom field value to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CfValue {
    /// The value of a field that holds one value (may span lines; `""` clears it).
    Single(String),
    /// Every value of a field that holds several (replaces the ones it has; empty clears).
    Multi(Vec<String>),
}

impl CfValue {
    fn text(&self) -> String {
        match self {
            CfValue::Single(v) => v.clone(),
            CfValue::Multi(vs) => join_values(vs),
        }
    }
}

/// A ticket as `ticket/<id>/show` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The ticket id.
    pub id: u64,
    /// Every field as shown, in order (`Queue`, `Subject`, `Status`, ..., `CF.{Name}`).
    pub fields: Vec<(String, String)>,
}

impl Ticket {
    /// Reads a show form; `None` when it has no `id: ticket/<n>`.
    pub fn from_form(form: Form) -> Option<Ticket> {
        let id = form
            .get("id")?
            .trim()
            .strip_prefix("ticket/")?
            .parse()
            .ok()?;
        Some(Ticket {
            id,
            fields: form.fields,
        })
    }

    /// A field's value (name compared without regard to case).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The queue's name.
    pub fn queue(&self) -> &str {
        self.field("Queue").unwrap_or("")
    }

    /// The subject.
    pub fn subject(&self) -> &str {
        self.field("Subject").unwrap_or("")
    }

    /// The status (`new`, `open`, `resolved`, `rejected`, ...).
    pub fn status(&self) -> &str {
        self.field("Status").unwrap_or("")
    }

    /// The custom fields applied to the ticket's queue, in RT's order.
    pub fn cf_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().filter_map(|(k, _)| cf_name(k))
    }

    /// A custom field's value as shown; for a multi-value field the values are joined with
    /// commas (see [`Ticket::cf_values`]). `None` when the field does not apply to the queue.
    pub fn cf(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| cf_name(k).is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v.as_str())
    }

    /// The values of a multi-value custom field (RT's comma list, quotes removed). REST 1.0
    /// cannot show a value holding a line break, nor tell a value that starts with a quote
    /// from a quoted one: RT prints those as they are.
    pub fn cf_values(&self, name: &str) -> Vec<String> {
        self.cf(name).map(split_values).unwrap_or_default()
    }
}

/// `Name` of a `CF.{Name}` field.
pub fn cf_name(field: &str) -> Option<&str> {
    if field.len() > 5 && field[..4].eq_ignore_ascii_case("cf.{") && field.ends_with('}') {
        Some(&field[4..field.len() - 1])
    } else {
        None
    }
}

/// Changes to a ticket: core fields (`Status`, `Subject`, `Queue`, `Owner`, ...) and custom
/// fields, sent to `ticket/<id>/edit`. Fields RT already holds with the same value are left
/// alone by RT; an edit that changes nothing gets an empty answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketUpdate {
    fields: Vec<(String, String)>,
}

impl TicketUpdate {
    /// No change yet.
    pub fn new() -> TicketUpdate {
        TicketUpdate::default()
    }

    /// Sets a core field.
    pub fn set(mut self, field: &str, value: impl Into<String>) -> TicketUpdate {
        self.fields.push((field.to_string(), value.into()));
        self
    }

    /// Sets a custom field.
    pub fn set_cf(mut self, name: &str, value: CfValue) -> TicketUpdate {
        self.fields.push((format!("CF.{{{name}}}"), value.text()));
        self
    }

    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The same changes as one form of a multi-ticket `edit`, which names its ticket.
    pub fn with_id(mut self, id: u64) -> TicketUpdate {
        self.fields
            .insert(0, ("id".to_string(), format!("ticket/{id}")));
        self
    }

    /// The form for `ticket/<id>/edit`: the fields, every value safe (see [`compose_form`]).
    /// No `id` field: the URL names the ticket, and RT counts an `id` field as a change.
    pub fn content(&self) -> Result<String, BadField> {
        compose_form(&self.fields)
    }
}

/// A ticket to create through `ticket/new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// Queue name.
    pub queue: String,
    /// Subject.
    pub subject: String,
    /// Requestor e-mail addresses.
    pub requestors: Vec<String>,
    /// The first message (may be empty).
    pub text: String,
    /// Other fields (`Status`, `Priority`, ...).
    pub fields: Vec<(String, String)>,
    /// Custom fields.
    pub cfs: Vec<(String, CfValue)>,
}

impl NewTicket {
    /// A ticket in `queue` with `subject`.
    pub fn new(queue: &str, subject: &str) -> NewTicket {
        NewTicket {
            queue: queue.to_string(),
            subject: subject.to_string(),
            requestors: Vec::new(),
            text: String::new(),
            fields: Vec::new(),
            cfs: Vec::new(),
        }
    }

    /// Adds a custom field.
    pub fn cf(mut self, name: &str, value: CfValue) -> NewTicket {
        self.cfs.push((name.to_string(), value));
        self
    }

    /// Sets the first message.
    pub fn text(mut self, text: &str) -> NewTicket {
        self.text = text.to_string();
        self
    }

    /// The form for `ticket/new`.
    pub fn content(&self) -> Result<String, BadField> {
        let mut all: Vec<(String, String)> = vec![
            ("id".into(), "ticket/new".into()),
            ("Queue".into(), self.queue.clone()),
            ("Subject".into(), self.subject.clone()),
        ];
        if !self.requestors.is_empty() {
            all.push(("Requestor".into(), self.requestors.join(", ")));
        }
        all.extend(self.fields.iter().cloned());
        for (name, v) in &self.cfs {
            all.push((format!("CF.{{{name}}}"), v.text()));
        }
        if !self.text.is_empty() {
            all.push(("Text".into(), self.text.clone()));
        }
        compose_form(&all)
    }
}

/// The id in RT's `# Ticket <id> created.` comment.
pub fn created_id(comments: &str) -> Option<u64> {
    comments.lines().find_map(|l| {
        l.trim_start_matches('#')
            .trim()
            .strip_prefix("Ticket ")?
            .strip_suffix(" created.")?
            .parse()
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::super::form::{parse_forms, Keys};
    use super::*;

    #[test]
    fn ticket_from_show_form() {
        let f = parse_forms(
            "id: ticket/7\nQueue: Incident Reports\nSubject: Phish\nStatus: open\nCF.{ThreatQ Link}: https://tq/events/3/details\nCF.{IP}: 10.0.0.1,'a,b'\nCF.{Description}: \n",
            Keys::Any,
        )
        .remove(0);
        let t = Ticket::from_form(f).unwrap();
        assert_eq!(t.id, 7);
        assert_eq!(
            (t.queue(), t.subject(), t.status()),
            ("Incident Reports", "Phish", "open")
        );
        assert_eq!(t.cf("threatq link"), Some("https://tq/events/3/details"));
        assert_eq!(t.cf_values("IP"), ["10.0.0.1", "a,b"]);
        assert_eq!(t.cf_values("Description"), Vec::<String>::new());
        assert_eq!(t.cf("Nope"), None);
        assert_eq!(
            t.cf_names().collect::<Vec<_>>(),
            ["ThreatQ Link", "IP", "Description"]
        );
        assert!(Ticket::from_form(Form::default()).is_none());
    }

    #[test]
    fn update_form_is_safe_and_exact() {
        let u = TicketUpdate::new()
            .set("Status", "open")
            .set_cf("Description", CfValue::Single("a\nStatus: deleted".into()))
            .set_cf("IP", CfValue::Multi(vec!["1.2.3.4".into(), "x,y".into()]));
        let c = u.content().unwrap();
        assert_eq!(
            c,
            "Status:\n open\nCF.{Description}:\n a\n Status: deleted\nCF.{IP}:\n '1.2.3.4'\n 'x,y'\n"
        );
        let f = &parse_forms(&c, Keys::Rt)[0];
        let keys: Vec<&str> = f.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["Status", "CF.{Description}", "CF.{IP}"]);
        assert!(TicketUpdate::new()
            .set_cf("a,b", CfValue::Single("x".into()))
            .content()
            .is_err());
    }

    #[test]
    fn new_ticket_form_and_created_id() {
        let mut n = NewTicket::new("Incidents", "s").text("body\nStatus: deleted");
        n.requestors = vec!["a@x".into()];
        let c = n
            .cf("IP", CfValue::Multi(vec!["1.1.1.1".into()]))
            .content()
            .unwrap();
        let f = &parse_forms(&c, Keys::Rt)[0];
        assert_eq!(f.get("id"), Some("ticket/new"));
        assert_eq!(f.get("Text"), Some("body\nStatus: deleted"));
        assert_eq!(f.get("Status"), None);
        assert_eq!(created_id("# Ticket 12 created."), Some(12));
        assert_eq!(created_id("# Could not create ticket."), None);
    }
}
