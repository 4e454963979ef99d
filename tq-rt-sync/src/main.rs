#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_common::app::main::<tq_rt_sync::RtSync, _>(
        std::env::args_os(),
    ));
}
