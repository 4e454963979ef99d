//! tq-ctr-enrich
