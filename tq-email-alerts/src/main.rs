#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_common::app::main::<tq_email_alerts::EmailAlerts, _>(
        std::env::args_os(),
    ));
}
