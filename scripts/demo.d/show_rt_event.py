#!/usr/bin/env python3
"""Prints the ThreatQ event of an RT ticket in the simulated ThreatQ: title, type, attributes,
related indicators (type, status), adversaries, related events, tags and comments; or, with
--add-attribute, adds an attribute to it (as an analyst would in ThreatQ). Python standard
library only.

Usage: show_rt_event.py TICKET_ID
       show_rt_event.py TICKET_ID --add-attribute NAME VALUE
Credentials come from the environment (TQ_URL, TQ_USERNAME, TQ_PASSWORD, TQ_CLIENT_ID,
TQ_CA_FILE), never from the command line.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from show_threatq import call  # noqa: E402  (one ThreatQ caller for the demo scripts)


def main():
    ticket = sys.argv[1]
    token = call("POST", "token", {"email": os.environ["TQ_USERNAME"], "password": os.environ["TQ_PASSWORD"],
                                   "grant_type": "password", "client_id": os.environ["TQ_CLIENT_ID"]})["access_token"]
    crit = {"criteria": {"+and": [{"attribute_name": "RT Ticket ID"}, {"attribute_value": ticket}]}, "filters": {}}
    with_ = "type,attributes,sources,tags,comments,indicators.type,indicators.status,adversaries,events.type"
    found = call("POST", f"events/query?with={with_}", crit, token).get("data") or []
    found = [e for e in found if any(a["name"] == "RT Ticket ID" and a["value"] == ticket for a in e.get("attributes", []))]
    if not found:
        print(f"  (no ThreatQ event for RT ticket {ticket})")
        return
    e = found[0]
    if len(sys.argv) > 2 and sys.argv[2] == "--add-attribute":
        call("POST", f"events/{e['id']}/attributes", [{"name": sys.argv[3], "value": sys.argv[4],
                                                       "sources": [{"name": "Analyst"}]}], token)
        print(f"  added attribute {sys.argv[3]}: {sys.argv[4]} to event {e['id']} (source Analyst)")
        return
    print(f"  event {e['id']}: {e['title']!r} ({e['type']['name']}), source {', '.join(s['name'] for s in e.get('sources', []))}")
    for a in sorted(e.get("attributes", []), key=lambda a: a["name"]):
        print(f"    attribute  {a['name']}: {a['value']}")
    for i in sorted(e.get("indicators", []), key=lambda i: (i["type"]["name"], i["value"])):
        print(f"    indicator  {i['type']['name']:<14} {i['value']}  [{i['status']['name']}]")
    for a in e.get("adversaries", []):
        print(f"    adversary  {a['name']}")
    for r in e.get("events", []):
        print(f"    event      {r['title']!r} ({r['type']['name']})")
    if e.get("tags"):
        print(f"    tags       {', '.join(t['name'] for t in e['tags'])}")
    for c in e.get("comments", []):
        lines = [l for l in c["value"].splitlines() if l.strip()]
        print(f"    comment    {lines[0] if lines else ''}")
        for l in lines[1:4]:
            print(f"               {l}")


if __name__ == "__main__":
    main()
