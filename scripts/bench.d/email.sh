#!/usr/bin/env bash
# Benchmark part for tq-email-alerts (issue 10). Prints one JSON object per line
# ({"bench":"email","metric":...,"value":N,"unit":...,"target":...,"peer":...}):
#   - ThreatQ requests and wall time of the run that mails 100 changes among 1,000 watched
#     indicators (the release binary against FakeThreatQ with 5 ms latency, to the aiosmtpd
#     sink): bulk reads, no request per object;
#   - 100 prepared mails over one SMTP connection (the connector's smtp::Mailer) against the
#     Python peer, scripts/bench.d/email_smtplib.py (smtplib, one connection per mail as the
#     original did), same bytes, same sink; median of 5 rounds each.
# Builds nothing: scripts/bench builds the release binaries and examples first
# (cargo build --release -p tq-email-alerts --bins --examples). Needs scripts/rigs/install
# (python3-aiosmtpd). Extra arguments go to the bench program (--watched N, --changed N,
# --latency-ms N, --rounds N).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}/release"
for f in "$target/tq-email-alerts" "$target/examples/bench_email"; do
    if [ ! -x "$f" ]; then
        echo "email bench: $f is missing; run scripts/bench (it builds release first) or" \
             "cargo build --release -p tq-email-alerts --bins --examples" >&2
        exit 2
    fi
done
exec "$target/examples/bench_email" --bin "$target/tq-email-alerts" \
     --peer scripts/bench.d/email_smtplib.py "$@"
