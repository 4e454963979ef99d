#!/usr/bin/env python3
"""Cold start, peak RSS and stripped size of every connector binary, and the peer's floor.

For each binary: `--version` wall time (median of 30 runs after one warm-up), `--check`
against tq-sim (median of 15 runs: config load, TLS, login, user, status lookup, and the
connector's other systems: CTR, the SMTP sink with the watchlist user and the data
collection of tq-email-alerts), peak RSS
of `--check` (ru_maxrss from wait4), and the size of the stripped release binary. Peer in
the same run: `python3 -c "import requests"` in the repo's venv (the originals' minimum
import cost). Prints one JSON object per line (scripts/bench renders the table).

Usage: startup.py BIN_DIR VENV_PYTHON
"""
import json, os, statistics, subprocess, sys, tempfile, time

BINARIES = ["tq-ctr-enrich", "tq-email-alerts", "tq-rt-sync", "tq-tie-listener", "tq-resilient-fn"]
CHECKED = ["tq-ctr-enrich", "tq-email-alerts", "tq-rt-sync", "tq-tie-listener"]


def timed(argv, env=None):
    """Wall seconds and exit code of one run, stdout/stderr discarded."""
    # posix_spawn (vfork) rather than fork: forking this Python process would add
    # milliseconds that belong to the harness, not to the binary.
    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env if env is not None else os.environ, file_actions=actions)
    _, status, _ = os.wait4(pid, 0)
    return time.perf_counter() - t0, os.waitstatus_to_exitcode(status), None


def peak_rss_kib(argv, env=None):
    """Peak RSS of the command itself, through GNU time (a small parent): wait4's
    ru_maxrss counts the memory of the process before exec, so measured from this Python
    harness it would include the harness."""
    with tempfile.NamedTemporaryFile() as out:
        code = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        if code != 0:
            raise SystemExit(f"{argv} exited {code}")
        return int(open(out.name).read().split()[-1])


def median_run(argv, n, env=None):
    timed(argv, env)  # warm-up: page cache, .pyc files
    runs = [timed(argv, env) for _ in range(n)]
    bad = [r for r in runs if r[1] != 0]
    if bad:
        raise SystemExit(f"{argv} exited {bad[0][1]}")
    rss = statistics.median(peak_rss_kib(argv, env) for _ in range(3))
    return statistics.median(r[0] for r in runs) * 1000, rss


def emit(**kw):
    print(json.dumps(kw), flush=True)


def main():
    bin_dir, venv_python = sys.argv[1], sys.argv[2]
    peer_ms, peer_rss = median_run([venv_python, "-c", "import requests"], 15)
    emit(bench="startup", metric="peer: python -c 'import requests'", value=round(peer_ms, 1), unit="ms",
         note=f"peak RSS {peer_rss / 1024:.1f} MiB")
    for b in BINARIES:
        path = os.path.join(bin_dir, b)
        ms, rss = median_run([path, "--version"], 30)
        emit(bench="startup", metric=f"{b} --version", value=round(ms, 2), unit="ms", target="<= 3 ms",
             peer="python -c 'import requests'", peer_value=round(peer_ms, 1),
             note=f"peak RSS {rss / 1024:.1f} MiB", load1=round(os.getloadavg()[0], 2))
        size = os.path.getsize(path) / (1024 * 1024)
        emit(bench="size", metric=f"{b} stripped binary", value=round(size, 2), unit="MiB", target="<= 6 MB")

    # --check against tq-sim: configure each connector through TQ_* first. tq-email-alerts
    # also logs in to an SMTP server: the tests' aiosmtpd sink (python3-aiosmtpd).
    sim = subprocess.Popen([os.path.join(bin_dir, "tq-sim"), "--seed", "--with-ctr", "--ignore-stdin"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    mail_dir = tempfile.TemporaryDirectory()
    sink_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                               "tq-testkit", "src", "rigs", "smtp_sink.py")
    sink = subprocess.Popen(["/usr/bin/python3", sink_script, "--port", "0", "--maildir", mail_dir.name],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        smtp_port = sink.stdout.readline().split()[1].rsplit(":", 1)[1]  # READY 127.0.0.1:PORT plain
        vals = {}
        for line in sim.stdout:
            k, _, v = line.strip().partition("=")
            vals.setdefault(k, v)
            if k == "ready":
                break
        with tempfile.TemporaryDirectory() as etc:
            env = dict(os.environ, TQ_HOST=vals["host"], TQ_CLIENT_ID=vals["client_id"],
                       TQ_USERNAME=vals["username"], TQ_PASSWORD=vals["password"], TQ_STATUS="Review",
                       TQ_CA_FILE=vals["ca_file"])
            extra = {"tq-ctr-enrich": {"TQ_CONNECTOR_API_URL": vals["ctr_url"],
                                       "TQ_CONNECTOR_CLIENT_ID": vals["ctr_client_id"],
                                       "TQ_CONNECTOR_CLIENT_PASSWORD": vals["ctr_client_password"],
                                       "TQ_CONNECTOR_SAVED_SEARCH": "CTR Enrichment"},
                     "tq-email-alerts": {"TQ_CONNECTOR_EMAIL": "alerts@tq-sim.example",
                                         "TQ_CONNECTOR_RECIPIENTS": "soc@example.org",
                                         "TQ_CONNECTOR_SMTP_HOST": "127.0.0.1",
                                         "TQ_CONNECTOR_PORT": smtp_port,
                                         "TQ_CONNECTOR_SKIP_LOGIN": "true",
                                         "TQ_CONNECTOR_ENABLE_WATCHLIST": "true",
                                         "TQ_CONNECTOR_WATCHLIST_USERS": "ann.analyst@example.com",
                                         "TQ_CONNECTOR_ENABLE_DATA_COLLECTION": "true",
                                         "TQ_CONNECTOR_DATA_COLLECTION_NAME": "Phishing Watch"}}
            for b in CHECKED:
                path = os.path.join(bin_dir, b)
                e = dict(env, **extra.get(b, {}))
                subprocess.run([path, "-c", etc], env=e, check=True, stdout=subprocess.DEVNULL)
                # Each connector's --check reaches all its systems (tq-ctr-enrich: CTR too).
                ms, rss = median_run([path, "-c", etc, "--check"], 15, {k: v for k, v in e.items()
                                                                        if not k.startswith("TQ_")})
                emit(bench="startup", metric=f"{b} --check (tq-sim)", value=round(ms, 1), unit="ms",
                     target="<= 30 ms", peer="python -c 'import requests'", peer_value=round(peer_ms, 1))
                emit(bench="memory", metric=f"{b} --check peak RSS", value=round(rss / 1024, 1), unit="MiB",
                     peer="python -c 'import requests'", peer_value=round(peer_rss / 1024, 1))
    finally:
        sim.terminate()
        sim.wait()
        sink.terminate()
        sink.wait()
        mail_dir.cleanup()


if __name__ == "__main__":
    main()
