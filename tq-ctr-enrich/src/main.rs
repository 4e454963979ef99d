#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_ctr_enrich::main(std::env::args_os()));
}
