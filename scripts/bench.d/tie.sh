#!/usr/bin/env bash
# Benchmark part for tq-tie-listener (issue 5; research/peer-bench.md A). Prints one JSON
# object per line ({"bench":"tie","metric":...,"value":N,"unit":...,"target":...,"peer":...}):
#   - decode+filter of research sample A in process (examples/bench_decode);
#   - the subscriber through mosquitto over TLS with client certificates, ours
#     (examples/dxl_sub) side by side with the Python dxlclient 5.7.0.1 subscriber on the
#     same broker and stream: sustained (unbounded broker queue), drain, and the burst loss
#     at mosquitto's default queue (examples/bench_mqtt);
#   - end to end into ThreatQ (examples/bench_e2e): the release binary and mosquitto, into
#     FakeThreatQ (the issue's figure) and into a constant-time ThreatQ stand-in (the
#     listener's own ceiling); changes/s, ThreatQ requests per change, RSS.
# Builds nothing: scripts/bench builds the release binaries and examples first
# (cargo build --release -p tq-tie-listener --bins --examples). Needs scripts/rigs/install.
# TIE_BENCH_N (default 50000) events per run, TIE_BENCH_RUNS (default 3) runs per case.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}/release"
for f in "$target/tq-tie-listener" "$target/examples/bench_decode" "$target/examples/bench_mqtt" \
         "$target/examples/dxl_sub" "$target/examples/bench_e2e"; do
    if [ ! -x "$f" ]; then
        echo "tie bench: $f is missing; run scripts/bench (it builds release first) or" \
             "cargo build --release -p tq-tie-listener --bins --examples" >&2
        exit 2
    fi
done
n="${TIE_BENCH_N:-50000}"
runs="${TIE_BENCH_RUNS:-3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$target/examples/bench_decode" 500000 5 >"$tmp/decode.out"
"$target/examples/bench_mqtt" "$n" "$runs" >"$tmp/mqtt.out"
"$target/examples/bench_e2e" "$n" >"$tmp/e2e_fake.out"
TQ_BENCH_SINK=1 "$target/examples/bench_e2e" "$n" >"$tmp/e2e.out"
python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
last = lambda f: json.loads([l for l in open(f"{d}/{f}") if l.strip()][-1])
def row(metric, value, unit, target="", **kw):
    print(json.dumps({"bench": "tie", "metric": metric, "value": value, "unit": unit, "target": target, **kw}))
for r in last("decode.out"):
    if r["input"] == "v2 sample A" and r["case"] == "decode+filter":
        row("decode+filter, 1 core", r["msg_per_s"], "msg/s", ">= 200000",
            peer="dxlclient _from_bytes + json.loads (peer-bench.md A)", peer_value=16700)
m = {(r["case"], r["who"].split()[0]): r for r in last("mqtt.out")}
ours, peer = m[("sustained", "tq-tie-listener")], m[("sustained", "dxlclient")]
row("subscriber via mosquitto+TLS, sustained", round(ours["rate"]), "ev/s", ">= 55000",
    peer="dxlclient subscriber, same broker+stream", peer_value=round(peer["rate"]),
    ratio=round(ours["rate"] / peer["rate"], 1), note="publisher-bound when the machine is shared")
if ("drain", "tq-tie-listener") in m:
    row("subscriber via mosquitto+TLS, drain", round(m[("drain", "tq-tie-listener")]["rate"]), "ev/s", ">= 55000")
row("subscriber events per CPU-second", round(ours["per_cpu_s"]), "ev/s", "",
    peer="dxlclient", peer_value=round(peer["per_cpu_s"]), ratio=round(ours["per_cpu_s"] / peer["per_cpu_s"], 1))
row("subscriber peak RSS (VmHWM)", round(ours["VmHWM_kB"] / 1024, 1), "MiB", "ratio >= 3x",
    peer="dxlclient", peer_value=round(peer["VmHWM_kB"] / 1024, 1), ratio=round(peer["VmHWM_kB"] / ours["VmHWM_kB"], 1))
bo, bp = m[("burst", "tq-tie-listener")], m[("burst", "dxlclient")]
row("burst of N at default broker queue: lost", bo["lost"], "events", "0",
    peer="dxlclient", peer_value=bp["lost"], note=f"N={bo['n']}")
row("subscriber cold start to SUBACK", round(ours["cold_start_s"] * 1000), "ms", "",
    peer="dxlclient", peer_value=round(peer["cold_start_s"] * 1000))
f = last("e2e_fake.out")
row("end to end into FakeThreatQ", f["changes_per_s"], "changes/s", ">= 5000",
    note=f"{f['changes']} changes, {f['requests']} ThreatQ requests")
e = last("e2e.out")
row("end to end into a constant-time ThreatQ stand-in", e["changes_per_s"], "changes/s", "",
    note="the listener's own ceiling (the stand-in answers in constant time per item)")
row("ThreatQ requests per change", round(f["requests"] / f["changes"], 5), "req/chg", "<= 0.005",
    note=f"into FakeThreatQ; per batch of up to 500 changes (1,500 indicators) one existence query (status only on new indicators) and one bulk consume: {f['changes_per_request']} changes per request")
row("listener steady RSS after the run", round(f["rss_steady_kB"] / 1024, 1), "MiB", "<= 8",
    note=f"into FakeThreatQ; {round(e['rss_steady_kB'] / 1024, 1)} MiB after the stand-in run")
PY
