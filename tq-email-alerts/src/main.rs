#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_common::app::pending_main(
        &tq_email_alerts::SPEC,
        std::env::args_os(),
    ));
}
