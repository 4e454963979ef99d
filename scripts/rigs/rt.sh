#!/usr/bin/env bash
# Installs the real Request Tracker the tq-rt-sync tests run against (research/rt.md §1):
# Debian's request-tracker5 with SQLite, the Plack/Starlet standalone server, msmtp-mta as the
# mail transport (keeps exim4 out; RT never sends mail in the tests, $MailCommand is 'mbox')
# w3m (RT's HTML-to-text converter; without it every RT process logs a warning), make (the
# extension's `perl Makefile.PL && make install && make initdb` is tested) and procps (`ps`,
# `kill`: the tests look at the process list during a sync and stop servers).
#
# Idempotent: a fast no-op when everything is present. Called by scripts/rigs/install; any
# failure exits non-zero (fatal there with CI=true). The tests start their own throwaway RT
# (tq-testkit/src/rigs/rt.rs): nothing here starts a server.
set -euo pipefail

log() { printf 'rigs/rt: %s\n' "$*" >&2; }
fail() {
    log "FAILED: $*"
    exit 1
}

# What the launcher needs; checked before and after installing.
rt_server=/usr/share/request-tracker5/libexec/rt-server
rt_ready() {
    [ -x "$rt_server" ] &&
        [ -x /usr/sbin/rt-setup-database-5 ] &&
        dpkg -s rt5-db-sqlite rt5-standalone w3m make procps >/dev/null 2>&1 &&
        perl -MDBD::SQLite -MStarlet -e1 >/dev/null 2>&1
}

if rt_ready; then
    log "ok (request-tracker5 with SQLite and Starlet already installed)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
else
    sudo_cmd=()
fi
export DEBIAN_FRONTEND=noninteractive

# The package's debconf questions, answered (no prompt under DEBIAN_FRONTEND=noninteractive).
# dbconfig-common makes a SQLite DB for the system-wide instance; the tests never use it
# (each starts its own instance from its own DB), but declining it was not tested.
preseed="$(mktemp)"
trap 'rm -f "$preseed"' EXIT
cat >"$preseed" <<'EOF'
request-tracker5 request-tracker5/rtname string rt.test
request-tracker5 request-tracker5/organization string rt.test
request-tracker5 request-tracker5/correspondaddress string rt@rt.test
request-tracker5 request-tracker5/commentaddress string rt-comment@rt.test
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1:8080
request-tracker5 request-tracker5/webpath string
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/dbconfig-install boolean true
request-tracker5 request-tracker5/database-type select sqlite3
request-tracker5 request-tracker5/initial-root-password password password
rt5-db-sqlite rt5-db-sqlite/available boolean true
EOF
"${sudo_cmd[@]}" debconf-set-selections "$preseed" || fail "debconf-set-selections"

log "installing request-tracker5 (SQLite, standalone server); about 50 s and 210 MB"
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null || fail "apt-get update"
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
    request-tracker5 rt5-db-sqlite rt5-standalone msmtp-mta w3m make procps >/dev/null ||
    fail "apt-get install request-tracker5 rt5-db-sqlite rt5-standalone msmtp-mta w3m make procps"

rt_ready || fail "request-tracker5 installed but $rt_server, rt-setup-database-5, DBD::SQLite or Starlet is missing"
log "ok (request-tracker5 installed)"
