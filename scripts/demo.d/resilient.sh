# tq-resilient-fn (issue 11): the fn_threatq integration of IBM Resilient. The SOAR side is
# simulated by examples/demo_soar: a real ActiveMQ (STOMP over TLS, from scripts/rigs/install)
# and a fake Resilient REST API; it writes an app.config for them and the simulated ThreatQ,
# runs `tq-resilient-fn customize -y`, `--check` and `run`, sends five actions (Sync
# Incident, Sync Indicator, Sync Comment with HTML, Mark as False Positive, the Add Indicator
# function), prints the interim and final replies, stops the service (SIGTERM) and the broker.
# Sourced by scripts/demo ($bin, $work, $root, val(), report(), TQ_* exported).
if [ ! -f /usr/share/activemq/bin/activemq.jar ] || ! command -v java >/dev/null 2>&1; then
  say "tq-resilient-fn: skipped (no ActiveMQ: scripts/rigs/install brings it)"
  report "skipped: no ActiveMQ"
  return 0
fi
say "tq-resilient-fn: Resilient actions through a real ActiveMQ into the simulated ThreatQ"
cargo build --release -p tq-resilient-fn --example demo_soar --quiet
TQ_URL=$(val url) TQ_CA_FILE=$work/sim/ca.pem \
  "$root/target/release/examples/demo_soar" "$bin" "$work/resilient" | tee "$work/resilient.out"
echo
echo "What landed in ThreatQ (indicators with their attributes from source \"Resilient\"):"
TQ_URL=$(val url) python3 "$root/scripts/demo.d/show_threatq.py" --all "Resilient"
report "customize installed $(grep -o 'Installed [0-9]* rule(s)' "$work/resilient.out" | head -1 | cut -d' ' -f2) rules;" \
       "$(grep -c '  final:' "$work/resilient.out") of 5 actions answered complete," \
       "$(grep -c '  ERROR:' "$work/resilient.out") with an error; the service stopped on SIGTERM"
