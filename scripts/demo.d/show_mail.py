#!/usr/bin/env python3
"""Prints the mails of a Maildir (the demo's SMTP sink) briefly: envelope, subject and the
text/plain part of each, oldest first. Usage: show_mail.py MAILDIR"""
import email
import email.policy
import os
import sys

root = os.path.join(sys.argv[1], "new")
for name in sorted(os.listdir(root)):
    with open(os.path.join(root, name), "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",))
    parts = [p.get_content_type() for p in msg.iter_parts()]
    print("-" * 72)
    print(f"To (envelope): {msg['Envelope-To']}   From: {msg['From']}")
    print(f"Subject: {msg['Subject']}   [{msg.get_content_type()}: {', '.join(parts)}]")
    print()
    print(text.get_content().rstrip() if text else "(no text part)")
print("-" * 72)
