//! tq-testkit: fakes of the proprietary systems and launchers for the real test rigs.
