//! tq-rt-sync
