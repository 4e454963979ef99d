#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_tie_listener::main(std::env::args_os()));
}
