//! tq-email-alerts
