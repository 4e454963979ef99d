#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_email_alerts::main(std::env::args_os()));
}
