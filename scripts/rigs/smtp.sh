#!/usr/bin/env bash
# Installs the SMTP test rig (research/smtp.md §1, §4.1): Debian's python3-aiosmtpd, run by
# tq-testkit's sink (tq-testkit/src/rigs/smtp_sink.py) under Debian's own /usr/bin/python3
# (a pyenv python3 on PATH does not see Debian's dist-packages).
# Idempotent: a fast no-op when `/usr/bin/python3 -c 'import aiosmtpd'` already works.
# Any failure exits non-zero (scripts/rigs/install makes it fatal).
set -euo pipefail

log() { printf 'rigs/smtp: %s\n' "$*" >&2; }

python=/usr/bin/python3
have() { [ -x "$python" ] && "$python" -c 'import aiosmtpd' >/dev/null 2>&1; }

if have; then
    exit 0
fi

log "installing apt package python3-aiosmtpd"
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); else sudo_cmd=(); fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
    python3-aiosmtpd >/dev/null; then
    # The package lists may be stale or missing on a fresh machine: refresh once and retry.
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
        python3-aiosmtpd >/dev/null
fi

if ! have; then
    log "FAILED: $python cannot import aiosmtpd after installing python3-aiosmtpd"
    exit 1
fi
log "ok (python3-aiosmtpd)"
