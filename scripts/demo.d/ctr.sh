# tq-ctr-enrich (issue 4): enrich the saved search "CTR Enrichment" of tq-sim from the
# fake CTR, show the attributes it wrote, then run again: nothing changed, nothing is sent.
# Sourced by scripts/demo ($bin, $etc, $logs, $work, val() are set there).
say "tq-ctr-enrich: enrich the saved search \"CTR Enrichment\" from (fake) Cisco Threat Response"
echo "\$ tq-ctr-enrich -c $etc -ll stdout -v 2"
"$bin/tq-ctr-enrich" -c "$etc" -ll stdout -v 2
ctr_hash=$(sed -n 's/^saved_search=CTR Enrichment|//p' "$work/sim.out")
echo
echo "What changed in ThreatQ (attributes from source \"Cisco Threat Response Enrichment\"):"
TQ_URL=$TQ_URL python3 "$root/scripts/demo.d/show_threatq.py" "$ctr_hash" "Cisco Threat Response Enrichment" |
  tee "$work/ctr.shown"
report "asked (simulated) Cisco Threat Response about the indicators of the saved search \"CTR Enrichment\";"
report "$(tail -n1 "$work/ctr.shown" | sed 's/^ *//; s/ (one indicator.*//'); a second run sent nothing"
say "tq-ctr-enrich: a second run (nothing changed in ThreatQ, so nothing goes to CTR)"
"$bin/tq-ctr-enrich" -c "$etc" -ll stdout -v 2
