#!/usr/bin/env bash
# Benchmark part for tq-ctr-enrich (issue 4): 1,000 enrichable indicators, batch 20, 5 ms
# latency on FakeThreatQ and the fake CTR; the release binary against the naive flow of the
# original (one enrich call per indicator, one ThreatQ call per attribute and one for the
# status) on the same fakes. Prints one JSON object per line:
#   {"bench":"ctr","metric":...,"value":N,"unit":...,"peer":"naive original flow","peer_value":N,"target":...}
# Builds nothing: scripts/bench builds the release binaries and examples first
# (cargo build --release -p tq-ctr-enrich --bins --examples). Extra arguments go to the
# bench program (--indicators N, --batch N, --latency-ms N).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}/release"
for f in "$target/tq-ctr-enrich" "$target/examples/bench_ctr"; do
    if [ ! -x "$f" ]; then
        echo "ctr bench: $f is missing; run scripts/bench (it builds release first) or" \
             "cargo build --release -p tq-ctr-enrich --bins --examples" >&2
        exit 2
    fi
done
exec "$target/examples/bench_ctr" --bin "$target/tq-ctr-enrich" "$@"
