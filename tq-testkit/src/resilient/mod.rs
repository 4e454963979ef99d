//! IBM Resilient (QRadar SOAR): the research samples ([`samples`]).

pub mod samples;
