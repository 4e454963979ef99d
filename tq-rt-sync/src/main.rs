#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_common::app::pending_main(
        &tq_rt_sync::SPEC,
        std::env::args_os(),
    ));
}
