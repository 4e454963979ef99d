//! tq-tie-listener
