//! tq-testkit: fakes of the proprietary systems and launchers for the real test rigs.
//!
//! - [`certs`]: a test PKI (CA, server and client certificates, CSR signing).

pub mod certs;
