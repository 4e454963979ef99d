//! tq-resilient-fn
