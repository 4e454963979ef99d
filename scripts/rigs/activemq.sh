#!/usr/bin/env bash
# Installs the STOMP broker the tq-resilient-fn tests run against: Debian's `activemq`
# (5.17.x, the product line of IBM SOAR's embedded broker; research/resilient.md §8) and a
# Java runtime for it. Idempotent: a fast no-op when both are present. Nothing is started
# here and no service is enabled: tq_testkit::rigs::activemq starts a private broker per test
# process, as the user running the tests, with its own config, certificates and ports.
# Exits non-zero (naming what failed) when anything is missing afterwards.
set -euo pipefail

jar=/usr/share/activemq/bin/activemq.jar
log() { printf 'rigs/activemq: %s\n' "$*" >&2; }
fail() {
    log "FAILED: $*"
    exit 1
}

need=()
[ -f "$jar" ] || need+=(activemq)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)

if [ "${#need[@]}" -gt 0 ]; then
    log "installing apt packages: ${need[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null ||
        fail "apt-get update"
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
        "${need[@]}" >/dev/null || fail "apt-get install ${need[*]}"
fi

[ -f "$jar" ] || fail "$jar missing after installing activemq"
command -v java >/dev/null 2>&1 || fail "no java on PATH after installing default-jre-headless"
# The package ships an init script and an empty instances-enabled/: no broker runs until a
# test starts one, so there is nothing to disable here.
log "ok (activemq $(dpkg-query -W -f='${Version}' activemq 2>/dev/null || echo '?'), $(java -version 2>&1 | head -1))"
