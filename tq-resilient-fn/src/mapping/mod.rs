//! The mapping tables and conversions between Resilient and ThreatQ, one file each:
//!
//! - [`artifact_types`]: artifact type ↔ indicator type (the decided table);
//! - [`indicator_kind`]: the indicator type of a bare value (Add Indicator without a type);
//! - [`html`]: rich text (notes, descriptions, instructions) → plain text for ThreatQ;
//! - [`dates`]: Resilient's epoch milliseconds → ThreatQ's `YYYY-MM-DD HH:MM:SS` UTC.

pub mod artifact_types;
pub mod dates;
pub mod html;
pub mod indicator_kind;
