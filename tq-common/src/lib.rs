//! tq-common: the one shared library of the tq-connectors (design.md §3): the command
//! line, config options and first-run prompt, logging, state, lock, secrets, HTTP, and
//! the typed ThreatQ client; for the service connectors the broker loop ([`service`]), the
//! on-disk queue ([`journal`]) and the processed-id index ([`dedup`]). A helper two
//! connectors need lives here, once.
//!
//! The only `unsafe` code of the workspace is in [`sys`]; everything else forbids it.

#![deny(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod dedup;
pub mod error;
pub mod files;
pub mod http;
pub mod journal;
pub mod lock;
pub mod logging;
pub mod prompt;
pub mod rest;
pub mod retry;
pub mod secret;
pub mod service;
pub mod state;
pub mod sys;
pub mod threatq;
pub mod tls;

pub use error::{Error, Result};
pub use secret::Secret;
