# tq-email-alerts (issue 10): the watchlist of tq-sim's second user (Ann Analyst) and the data
# collection "Phishing Watch", mailed to the aiosmtpd sink scripts/demo started. The first run
# records what is there (no mail); tq-sim then makes its seeded changes (SIGUSR1: two
# comments, a status change with a new source, an adversary put on the watchlist, three new
# FQDNs) and the second run mails them; a third run has nothing to send.
# Sourced by scripts/demo ($bin, $etc, $work, $root, $sim_pid, $smtp_port, val() are set).
if [ -z "$smtp_port" ]; then
  say "tq-email-alerts: skipped (no SMTP sink: python3-aiosmtpd comes from scripts/rigs/install)"
  report "skipped: no SMTP sink"
  return 0
fi
mails() { ls "$work/mail/new" 2>/dev/null | wc -l; }
say "tq-email-alerts: the first run records the watchlist and the data collection (no mail)"
echo "\$ tq-email-alerts -c $etc -ll stdout -v 2"
"$bin/tq-email-alerts" -c "$etc" -ll stdout -v 2
echo "mails in the sink: $(mails)"

say "tq-email-alerts: tq-sim changes watched objects and the collection; the next run mails them"
kill -USR1 "$sim_pid"
for _ in $(seq 1 50); do grep -q '^changes=' "$work/sim.out" && break; sleep 0.1; done
echo "tq-sim: $(sed -n 's/^changes=//p' "$work/sim.out") objects changed"
echo "\$ tq-email-alerts -c $etc -ll stdout -v 2"
"$bin/tq-email-alerts" -c "$etc" -ll stdout -v 2
echo
echo "What the SMTP server received ($(mails) mails, one connection):"
python3 "$root/scripts/demo.d/show_mail.py" "$work/mail"
sent=$(mails)

say "tq-email-alerts: a third run (nothing changed, nothing sent)"
"$bin/tq-email-alerts" -c "$etc" -ll stdout -v 2
echo "mails in the sink: $(mails)"
report "watched Ann Analyst's watchlist and the data collection \"Phishing Watch\" in ThreatQ;"
report "mailed tq-sim's changes: $sent mails over one SMTP connection; the run after sent $(($(mails) - sent))"
