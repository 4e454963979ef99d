#![forbid(unsafe_code)]

fn main() {
    std::process::exit(tq_common::app::main::<tq_ctr_enrich::CtrEnrich, _>(
        std::env::args_os(),
    ));
}
