//! tq-testkit: fakes of the proprietary systems and launchers for the real test rigs.
//!
//! - [`certs`]: a test PKI (CA, server and client certificates, CSR signing).
//! - [`server`]: the small HTTPS/HTTP test server every fake is built on (request log,
//!   fault injection, latency).
//! - [`rigs`]: launchers for the real servers (mosquitto, the Python OpenDXL client).

pub mod certs;
pub mod rigs;
pub mod server;
