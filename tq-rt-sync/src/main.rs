#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_rt_sync::main(std::env::args_os()));
}
