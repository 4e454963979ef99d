# The maintainer scripts of every package (deb postinst/prerm/postrm, rpm %pre/%post/%preun/
# %postun), POSIX sh. scripts/package writes each script as: a header setting BINARY, DROP_IN,
# SERVICE_DIRS and UNITS for the package, this file, then the phase's lines.
#
# What they do (docs/operations.md, "What the packages install"):
# - the system user and group tq-connectors, which the services run as (never removed: files
#   it owns may remain);
# - /etc/tq_labs and /var/log/tq_labs, root:tq-connectors 0750 (only root writes there: the cron
#   connectors run as root; the group may traverse to a service's own directory), and each
#   service's directory (SERVICE_DIRS), tq-connectors 0700. A directory that exists already is
#   left as it is. Removing a package leaves them (config, state and logs are the operator's);
# - rpm only: the original executable name as a symlink (cargo-generate-rpm cannot put a
#   symlink into the payload; the deb carries it as a file of the package);
# - systemd: daemon-reload after units change, running instances restarted on upgrade and
#   stopped on removal. Nothing is enabled: an instance needs its configuration first.

TQ_USER=tq-connectors

tq_user() {
    getent group "$TQ_USER" >/dev/null 2>&1 || groupadd --system "$TQ_USER"
    if ! getent passwd "$TQ_USER" >/dev/null 2>&1; then
        shell=/usr/sbin/nologin
        [ -x "$shell" ] || shell=/sbin/nologin
        useradd --system --gid "$TQ_USER" --home-dir /nonexistent --no-create-home \
            --shell "$shell" --comment "ThreatQ connectors (services)" "$TQ_USER"
    fi
}

# tq_dir PATH OWNER GROUP MODE: creates PATH when missing.
tq_dir() {
    [ -d "$1" ] || install -d -o "$2" -g "$3" -m "$4" "$1"
}

tq_dirs() {
    tq_dir /etc/tq_labs root "$TQ_USER" 0750
    tq_dir /var/log/tq_labs root "$TQ_USER" 0750
    for d in $SERVICE_DIRS; do
        tq_dir "$d" "$TQ_USER" "$TQ_USER" 0700
    done
}

tq_link_drop_in() {
    [ -n "$DROP_IN" ] || return 0
    link=/usr/bin/$DROP_IN
    if [ -e "$link" ] && [ ! -L "$link" ]; then
        echo "$BINARY: $link was the original connector's executable; it is now a symlink to" \
            "$BINARY (remove the rest of the original connector with pip uninstall)" >&2
    fi
    ln -sfn "$BINARY" "$link"
}

tq_unlink_drop_in() {
    [ -n "$DROP_IN" ] || return 0
    link=/usr/bin/$DROP_IN
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$BINARY" ]; then
        rm -f "$link"
    fi
}

# tq_remove_empty DIR...: removes each DIR that is empty.
tq_remove_empty() {
    for d in "$@"; do
        [ ! -d "$d" ] || rmdir "$d" 2>/dev/null || true
    done
}

# rpm only, on erase: the directories the package created, which cargo-generate-rpm cannot
# list as the package's (so rpm -e would leave them empty): its doc and data directories, and
# the completion directories of shells that are not installed (their packages own them
# otherwise). Shared ones stay while another connector's files are in them.
tq_remove_own_dirs() {
    tq_remove_empty "/usr/share/doc/$BINARY" "/usr/share/$BINARY"
    command -v zsh >/dev/null 2>&1 || tq_remove_empty /usr/share/zsh/site-functions /usr/share/zsh
    command -v fish >/dev/null 2>&1 ||
        tq_remove_empty /usr/share/fish/vendor_completions.d /usr/share/fish
    [ -e /usr/share/bash-completion/bash_completion ] ||
        tq_remove_empty /usr/share/bash-completion/completions /usr/share/bash-completion
}

tq_systemd() {
    [ -n "$UNITS" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# The running units of the package: every instance of a template unit.
tq_unit_patterns() {
    for u in $UNITS; do
        case $u in
            *@.service) echo "${u%@.service}@*.service" ;;
            *) echo "$u" ;;
        esac
    done
}

tq_units_reload() {
    tq_systemd || return 0
    systemctl daemon-reload || true
}

tq_units_restart() {
    tq_systemd || return 0
    # shellcheck disable=SC2046
    systemctl try-restart $(tq_unit_patterns) || true
}

tq_units_stop() {
    tq_systemd || return 0
    # shellcheck disable=SC2046
    systemctl stop $(tq_unit_patterns) || true
}
