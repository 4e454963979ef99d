//! tq-tie-listener: listens on the DXL fabric for McAfee TIE file reputation changes and
//! writes them to ThreatQ.
//!
//! Protocol layers with no ThreatQ knowledge: [`mqtt`] (MQTT 3.1.1 over TLS), [`dxl`] (the DXL
//! message codec), [`repchange`] (the TIE event payload and the filter), [`providers`] and
//! [`trust_levels`] (the mapping tables).

pub mod dxl;
pub mod mqtt;
pub mod providers;
pub mod repchange;
pub mod trust_levels;
