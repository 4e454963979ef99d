#!/usr/bin/env bash
# Benchmark part for tq-rt-sync (issue 12), against a real Request Tracker (scripts/rigs/rt.sh)
# and FakeThreatQ with 5 ms latency: action cold start to its first request, a full sync of a
# 50-indicator ticket (ThreatQ and RT requests, wall time) beside the original's flow (one
# ThreatQ request per indicator and attribute, RT field by field) on the same fakes, and cron
# runs over 1,000 tickets' events (first run, all touched again, no change). Prints one JSON
# object per line:
#   {"bench":"rt","metric":...,"value":N,"unit":...,"peer":"the original's flow","peer_value":N,"target":...}
# Builds nothing: scripts/bench builds the release binaries and examples first
# (cargo build --release -p tq-rt-sync --bins --examples). Extra arguments go to the bench
# program (--tickets N, --runs N, --latency-ms N).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}/release"
for f in "$target/tq-rt-sync" "$target/examples/bench_rt"; do
    if [ ! -x "$f" ]; then
        echo "rt bench: $f is missing; run scripts/bench (it builds release first) or" \
             "cargo build --release -p tq-rt-sync --bins --examples" >&2
        exit 2
    fi
done
exec "$target/examples/bench_rt" --bin "$target/tq-rt-sync" "$@"
