#!/usr/bin/env python3
"""The Python peer of the e-mail benchmark (scripts/bench.d/email.sh): sends every prepared
message of a directory (*.eml, sorted) to an SMTP server with smtplib, one connection per
message as the original tq-conn-email-alerts did (connect, EHLO, MAIL, RCPT, DATA, QUIT), and
prints the wall time in seconds.

Usage: email_smtplib.py --port PORT --from ADDR --to ADDR DIR [--host HOST]"""
import argparse
import os
import smtplib
import time

p = argparse.ArgumentParser()
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int, required=True)
p.add_argument("--from", dest="sender", required=True)
p.add_argument("--to", required=True)
p.add_argument("dir")
a = p.parse_args()

messages = []
for name in sorted(os.listdir(a.dir)):
    if name.endswith(".eml"):
        with open(os.path.join(a.dir, name), "rb") as f:
            messages.append(f.read())

t0 = time.perf_counter()
for raw in messages:
    with smtplib.SMTP(a.host, a.port) as s:
        s.sendmail(a.sender, [a.to], raw)
print("%.4f" % (time.perf_counter() - t0))
