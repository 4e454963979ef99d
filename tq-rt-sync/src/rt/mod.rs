//! The Request Tracker REST 1.0 client (RT 4.4 has no REST 2.0 in core; research/rt.md §3).
//!
//! - [`form`]: the text format, as pure functions tested byte for byte: the status line,
//!   forms read as RT reads them, the writer no value can break out of, comma lists;
//! - [`ticket`], [`links`], [`history`], [`search`], [`customfields`]: what each call's
//!   answer means;
//! - [`transport`]: the only place that sends HTTP (session login, one new login on
//!   `401 Credentials required`, errors naming Request Tracker);
//! - [`client`]: [`RtClient`], the calls; [`session`]: a session kept between runs.

pub mod client;
pub mod customfields;
pub mod form;
pub mod history;
pub mod links;
pub mod search;
pub mod session;
pub mod ticket;
pub mod transport;

pub use client::{Edited, RtClient, Snapshot};
pub use customfields::CustomFieldDef;
pub use history::{HistoryEntry, Transaction};
pub use links::{Link, LinkType};
pub use ticket::{CfValue, NewTicket, Ticket, TicketUpdate};
