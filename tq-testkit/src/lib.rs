//! tq-testkit: fakes of the proprietary systems and launchers for the real test rigs.
//!
//! - [`bench`]: the benchmark examples' command line and default binary.
//! - [`certs`]: a test PKI (CA, server and client certificates, CSR signing).
//! - [`clients`]: tq-common's HTTP and ThreatQ clients set up to trust a fake.
//! - [`ctr`]: the fake Cisco Threat Response API (token and enrich routes).
//! - [`server`]: the small HTTPS/HTTP test server every fake is built on (request log,
//!   fault injection, latency).
//! - [`epo`]: `FakeEpo`, the OpenDXL provisioning commands of McAfee ePO.
//! - [`files`]: assertions on the files a run or an install leaves behind.
//! - [`fuzz`]: seeded random input and a message mutator for the codec fuzz tests.
//! - [`json`]: reading JSON answers in tests (one field of every element of a list).
//! - [`procfs`]: what the benchmarks read of a process from /proc (RSS, CPU time).
//! - [`rigs`]: launchers for the real servers (mosquitto, the Python OpenDXL client).
//! - [`threatq`]: `FakeThreatQ`, a strict, stateful fake ThreatQ API.
//! - [`contract`]: the common contract of every connector binary, as test functions
//!   ([`contract_tests!`] runs them all for one binary).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
pub mod certs;
pub mod clients;
pub mod contract;
pub mod ctr;
pub mod epo;
pub mod files;
pub mod fuzz;
pub mod json;
pub mod procfs;
pub mod resilient;
pub mod rigs;
pub mod server;
pub mod threatq;
