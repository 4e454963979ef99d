# tq-rt-sync (issue 12): a ticket made in a real Request Tracker, synced into ThreatQ by RT's
# scrip (RT::Extension::ThreatQ runs tq-rt-sync action), a comment synced the same way, then
# an attribute added in ThreatQ written back into the ticket by the cron mode, and a cron run
# with nothing to do. Sourced by scripts/demo ($bin, $etc, $logs, $work, val() are set there).
if [ -z "$(val rt_url)" ]; then
  say "tq-rt-sync: skipped: Request Tracker is not installed (scripts/rigs/install adds it: Debian's request-tracker5 with SQLite)"
  report "skipped: Request Tracker is not installed (scripts/rigs/install adds it)"
else
  rt_url=$(val rt_url)
  jar=$work/rt.cookies
  rt_post() {  # rt_post PATH [curl args...]: REST 1.0 as root, the session in $jar
    local path=$1; shift
    curl -sS -b "$jar" -c "$jar" "$@" "$rt_url/REST/1.0/$path"
  }
  # The first request logs in; the password goes on stdin, not in the process list.
  printf 'user=root&pass=%s' "$(val rt_root_password)" | curl -sS -c "$jar" -d @- "$rt_url/REST/1.0/" >/dev/null
  tq_env=(TQ_URL="$TQ_URL" TQ_USERNAME="$(val username)" TQ_PASSWORD="$(val password)"
          TQ_CLIENT_ID="$(val client_id)" TQ_CA_FILE="$work/sim/ca.pem")
  rt_show() {
    rt_post "ticket/$1/show" -d 'fields=Subject,Status,CF.{ThreatQ Link},CF.{ThreatQ Attributes},CF.{ThreatQ Indicators}' |
      sed -n 's/^\(Subject\|Status\|CF\.{ThreatQ[^}]*}\): /  \1: /p'
  }
  wait_link() {  # wait_link TICKET TEXT: until the ticket's ThreatQ Link holds TEXT
    for _ in $(seq 1 150); do
      rt_post "ticket/$1/show" -d 'fields=CF.{ThreatQ Link}' | grep -q "$2" && return 0
      sleep 0.2
    done
    echo "  (the sync did not finish in 30 s)"
  }

  say "tq-rt-sync: a ticket created in Request Tracker ($rt_url, queue Incidents)"
  content=$(printf '%s\n' "id: ticket/new" "Queue: Incidents" "Subject: Phishing wave from evil.example" \
    "CF.{IP}: 198.51.100.23,198.51.100.24" "CF.{HASH}: 44d88612fea8a8f36de82e1278abb02f" \
    "CF.{Domains}: evil.example" "CF.{Threat Actors}: APT-Demo" "CF.{Threat Campaign}: Operation Inbox" \
    "CF.{Tags}: phishing" "CF.{Classification}: Phishing" "CF.{ThreatQ Attributes}: Severity: High" \
    "Text: Several users reported the same mail.")
  ticket=$(rt_post ticket/new --data-urlencode "content=$content" | sed -n 's/^# Ticket \([0-9]*\) created\./\1/p')
  echo "ticket $ticket created; RT's scrip runs: tq-rt-sync action --ticket $ticket --transaction <id> --type Create"
  echo "(settings on its standard input; it waits ThreatQ_Create_Wait = 1 s, then syncs)"
  wait_link "$ticket" "/events/"
  echo; echo "The ticket's ThreatQ fields, written back by the sync:"
  rt_show "$ticket"
  echo; echo "Its ThreatQ event:"
  env "${tq_env[@]}" python3 "$root/scripts/demo.d/show_rt_event.py" "$ticket"

  say "tq-rt-sync: a comment on the ticket (a Comment transaction syncs comments only)"
  rt_post "ticket/$ticket/comment" --data-urlencode "content=$(printf '%s\n' "id: $ticket" "Action: comment" "Text: Blocked the sender at the gateway.")" >/dev/null
  for _ in $(seq 1 100); do
    env "${tq_env[@]}" python3 "$root/scripts/demo.d/show_rt_event.py" "$ticket" | grep -q "comment " && break
    sleep 0.2
  done
  env "${tq_env[@]}" python3 "$root/scripts/demo.d/show_rt_event.py" "$ticket" | grep -A3 "comment " || true

  say "tq-rt-sync cron: an analyst adds an attribute in ThreatQ; a cron run writes it back"
  env "${tq_env[@]}" python3 "$root/scripts/demo.d/show_rt_event.py" "$ticket" --add-attribute Confidence High
  echo "\$ tq-rt-sync -c $etc -ll stdout -v 2"
  "$bin/tq-rt-sync" -c "$etc" -ll stdout -v 2
  rt_show "$ticket" | grep "ThreatQ Attributes"
  event=$(rt_show "$ticket" | sed -n 's|.*ThreatQ Link}: .*/events/\([0-9]*\)/details.*|\1|p')
  report "RT ticket $ticket (queue Incidents) became ThreatQ event ${event:-?} through RT's scrip, with its"
  report "indicators, adversary, campaign and tags; a comment followed; the cron mode wrote back an attribute"
  say "tq-rt-sync cron: a second run (nothing changed: one RT request, no login, nothing written)"
  "$bin/tq-rt-sync" -c "$etc" -ll stdout -v 2
fi
