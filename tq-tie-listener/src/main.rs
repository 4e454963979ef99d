#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_common::app::main::<tq_tie_listener::TieListener, _>(
        std::env::args_os(),
    ));
}
