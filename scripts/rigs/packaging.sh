#!/usr/bin/env bash
# What scripts/package and its test (tq-testkit/tests/packaging.rs) need, installed when
# missing; a fast no-op when present. Called by scripts/rigs/install (everything) and by
# scripts/package (--tools: only the two cargo tools).
#
#   apt:   rpm (rpm -qlp / rpm -i to check the .rpm packages; Debian's rpm 4.18)
#   cargo: cargo-deb 3.8.0 and cargo-generate-rpm 0.21.1, `cargo install --locked` into the
#          project-local .tools/ (gitignored), the versions research/crates.md checked.
#
# Any failure exits non-zero (scripts/rigs/install makes it fatal).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools=$root/.tools
deb_version=3.8.0
rpm_version=0.21.1

log() { printf 'rigs/packaging: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

only_tools=0
[ "${1:-}" = "--tools" ] && only_tools=1

if [ "$only_tools" = 0 ] && ! command -v rpm >/dev/null 2>&1; then
    log "installing apt package: rpm"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null || fail "apt-get update"
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends rpm \
        >/dev/null || fail "apt-get install rpm"
fi

# cargo_tool CRATE VERSION BINARY: installs CRATE@VERSION unless BINARY --version says it.
cargo_tool() {
    local have=""
    if [ -x "$tools/bin/$3" ]; then
        have=$("$tools/bin/$3" --version 2>/dev/null || true)
    fi
    case $have in
        *" $2"*) return 0 ;;
    esac
    log "cargo install --locked --debug $1@$2 into $tools (a minute or two, once)"
    # --debug: the tools only copy and compress a few MiB (the compressors are C, built
    # optimised either way); an optimised build of cargo-generate-rpm took 4-6 minutes of
    # CI time here, a debug build 1.5.
    cargo install --locked --debug --quiet --root "$tools" "$1@$2" || fail "cargo install $1@$2"
}
cargo_tool cargo-deb "$deb_version" cargo-deb
cargo_tool cargo-generate-rpm "$rpm_version" cargo-generate-rpm

echo "packaging: ready (rpm, cargo-deb $deb_version, cargo-generate-rpm $rpm_version in $tools/bin)"
