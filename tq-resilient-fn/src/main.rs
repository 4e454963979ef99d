#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_resilient_fn::main(std::env::args_os()));
}
