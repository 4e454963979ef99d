# tq-tie-listener (issue 5): the listener on a DXL broker (mosquitto over TLS with client
# certificates, started by tq-sim --with-dxl); the real Python OpenDXL client publishes two
# reputation changes (EICAR turned Known Malicious in the enterprise, another file turned
# Known Trusted); the listener writes the first to ThreatQ and leaves the second out (default
# filters), then stops on SIGTERM. Sourced by scripts/demo ($bin, $etc, $work, $root, val()).
if [ -z "$(val dxl_port)" ]; then
  say "tq-tie-listener: skipped (no DXL broker: mosquitto and the Python dxlclient come from scripts/rigs/install)"
  return 0
fi
say "tq-tie-listener: listen on the DXL fabric, then two reputation changes from the Python dxlclient"
echo "DXL broker (mosquitto, TLS with client certificates): 127.0.0.1:$(val dxl_port);" \
     "the listener's OpenDXL directory: [connector] cert_dir = $(val dxl_cert_dir)"
echo "\$ tq-tie-listener -c $etc -ll stdout -v 2 &"
"$bin/tq-tie-listener" -c "$etc" -ll stdout -v 2 >"$work/tie.out" 2>&1 &
tie_pid=$!
for _ in $(seq 1 100); do grep -q 'listening:' "$work/tie.out" && break; sleep 0.1; done
grep -q 'listening:' "$work/tie.out" || { echo "the listener did not subscribe:"; cat "$work/tie.out"; kill "$tie_pid"; exit 1; }
echo "\$ .venv/bin/python dxl_publish.py < publish.json   # dxlclient 5.7.0.1, sends the two changes as DXL events"
"${TQ_VENV:-$root/.venv}/bin/python" "$root/tq-testkit/src/rigs/dxl_publish.py" <"$(val dxl_publish_spec)"
# The listener writes a batch every second (or at 500 changes).
sleep 2
echo "\$ kill -TERM $tie_pid   # the listener flushes what is pending and exits 0"
kill -TERM "$tie_pid"
tie_rc=0; wait "$tie_pid" || tie_rc=$?
cat "$work/tie.out"
echo "(exit status $tie_rc)"
echo
echo "What changed in ThreatQ (attributes from source \"McAfee TIE Reputation Change\"):"
TQ_URL=$TQ_URL python3 "$root/scripts/demo.d/show_threatq.py" --all "McAfee TIE Reputation Change" |
  tee "$work/tie.shown"
report "listened on the DXL fabric: $(grep -o 'stopped (.*)' "$work/tie.out" |
  sed 's/stopped (\([0-9]*\) received, \([0-9]*\) accepted)/\1 reputation changes received, \2 written/')" \
  "(the Known Trusted one is left out by the default filters);"
report "$(tail -n1 "$work/tie.shown" | sed 's/^ *//') (its MD5, SHA-1 and SHA-256)"
