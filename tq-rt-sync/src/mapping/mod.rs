//! The guide's mapping tables, one file each: custom fields → ThreatQ ([`fields`]), indicator
//! types of IP and HASH values ([`indicator_types`]), the "Status" attribute ([`status`]) and
//! the transaction table ([`transactions`]).

pub mod fields;
pub mod indicator_types;
pub mod status;
pub mod transactions;

pub use fields::{Desired, FIELDS, TICKET_ID_ATTRIBUTE};
pub use transactions::Plan;
