#!/usr/bin/env bash
# Benchmark part for tq-resilient-fn (issue 11; research/peer-bench.md B). Prints one JSON
# object per line ({"bench":"resilient","metric":...,"value":N,"unit":...,"target":...,"peer":...}):
#   - Sync Indicator actions/s through a real ActiveMQ (STOMP over TLS) into FakeThreatQ at
#     0 and 2 ms latency, the release binary with its defaults (25 workers);
#   - the function stream of research/peer-bench.md B (samples/resilient-function-message.json,
#     threatq_add_indicator) side by side with the real resilient-circuits 51.0.9.1 running a
#     no-op function on the same broker and the same stream: rate, exec-to-subscribed, RSS;
#   - exec-to-subscribed and steady RSS of ours.
# The peer is installed here (not by the tests) into target/bench/venv-rc from PyPI.
# Builds nothing: scripts/bench builds the release binaries and examples first
# (cargo build --release -p tq-resilient-fn --bins --examples). Needs scripts/rigs/install.
# RESILIENT_BENCH_N (default 2000) messages per run, RESILIENT_BENCH_RUNS (default 3) runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}/release"
for f in "$target/tq-resilient-fn" "$target/examples/bench_resilient"; do
    if [ ! -x "$f" ]; then
        echo "resilient bench: $f is missing; run scripts/bench (it builds release first) or" \
             "cargo build --release -p tq-resilient-fn --bins --examples" >&2
        exit 2
    fi
done
venv="${RC_VENV:-$PWD/target/bench/venv-rc}"
if ! "$venv/bin/python" -c 'import resilient_circuits, stomp' 2>/dev/null; then
    echo "resilient bench: installing the peer (resilient-circuits 51.0.9.1) into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check \
        resilient-circuits==51.0.9.1 stomp.py==8.2.0 >&2
fi
n="${RESILIENT_BENCH_N:-2000}"
runs="${RESILIENT_BENCH_RUNS:-3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RC_VENV="$venv" TQ_BIN="$target/tq-resilient-fn" "$target/examples/bench_resilient" "$n" "$runs" \
    >"$tmp/runs.jsonl"
python3 - "$tmp/runs.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def pick(who, case, latency=0):
    return [r for r in rows if r["who"] == who and r["case"] == case and r["latency_ms"] == latency]
def med(rs, k):
    return statistics.median(r[k] for r in rs) if rs else None
def row(metric, value, unit, target="", **kw):
    print(json.dumps({"bench": "resilient", "metric": metric, "value": value, "unit": unit,
                      "target": target, **kw}))
s0, s2 = pick("tq-resilient-fn", "sync_indicator", 0), pick("tq-resilient-fn", "sync_indicator", 2)
fo, fp = pick("tq-resilient-fn", "function"), pick("resilient-circuits", "function")
n = s0[0]["n"] if s0 else 0
loads = sorted(float(r["load1"]) for r in rows if r.get("load1"))
row("Sync Indicator actions via ActiveMQ+TLS, ThreatQ 0 ms", round(med(s0, "rate")), "actions/s", ">= 1500",
    note=f"median of {len(s0)} runs of {n}; runs {[r['rate'] for r in s0]}; load {loads[0]}-{loads[-1]}")
row("Sync Indicator actions via ActiveMQ+TLS, ThreatQ 2 ms", round(med(s2, "rate")), "actions/s", ">= 500",
    note=f"runs {[r['rate'] for r in s2]}")
row("ThreatQ requests per Sync Indicator action", round(med(s0 + s2, "requests_per_msg"), 3), "req/action", "",
    note="indicator upserts of concurrent workers share one bulk consume")
row("Sync Indicator actions per CPU-second of the service", round(med(s0, "per_cpu_s")), "actions/s", "")
if fo:
    kw = {}
    if fp:
        kw = {"peer": "resilient-circuits 51.0.9.1, no-op function, same broker+stream",
              "peer_value": round(med(fp, "rate")), "ratio": round(med(fo, "rate") / med(fp, "rate"), 1)}
    row("function stream (peer-bench B messages) via ActiveMQ+TLS", round(med(fo, "rate")), "replies/s", "",
        note="ours writes each indicator to FakeThreatQ; the peer does nothing", **kw)
    ours_start = med(s0 + s2 + fo, "startup_ms")
    kw = {}
    if fp:
        kw = {"peer": "resilient-circuits", "peer_value": round(med(fp, "startup_ms")),
              "ratio": round(med(fp, "startup_ms") / ours_start, 1)}
    row("exec to subscribed (REST login and org || STOMP connect; SUBSCRIBE)", round(ours_start), "ms", "",
        note="process start to the readiness line", **kw)
    c2s = [r["connect_to_subscribed_ms"] for r in s0 + s2 + fo if r.get("connect_to_subscribed_ms") is not None]
    if c2s:
        row("STOMP connect to subscribed (TCP, TLS, CONNECT, SUBSCRIBE receipt)", round(statistics.median(c2s)),
            "ms", "<= 100", note=f"runs {sorted(c2s)}")
    steady = med(s0 + s2 + fo, "rss_steady_kib") / 1024
    kw = {}
    if fp:
        kw = {"peer": "resilient-circuits", "peer_value": round(med(fp, "rss_steady_kib") / 1024, 1),
              "ratio": round(med(fp, "rss_steady_kib") / 1024 / steady, 1)}
    row("steady RSS after a run (idle)", round(steady, 1), "MiB", "<= 10",
        note=f"idle before any message {round(med(s0 + s2 + fo, 'rss_idle_kib') / 1024, 1)} MiB", **kw)
    kw = {}
    if fp:
        kw = {"peer": "resilient-circuits", "peer_value": round(med(fp, "hwm_kib") / 1024, 1),
              "ratio": round(med(fp, "hwm_kib") / med(fo, "hwm_kib"), 1)}
    row("peak RSS (VmHWM)", round(med(fo, "hwm_kib") / 1024, 1), "MiB", "", **kw)
    if fp:
        ours_bad = sum(r["errors"] + r.get("missing", 0) for r in s0 + s2 + fo)
        peer_bad = sum(r["errors"] + r.get("missing", 0) for r in fp)
        row("actions without a successful final reply (errors + none in 120 s)", ours_bad, "actions", "0",
            peer="resilient-circuits", peer_value=peer_bad,
            note=f"of {sum(r['n'] for r in s0 + s2 + fo)} ours, {sum(r['n'] for r in fp)} the peer's")
PY
