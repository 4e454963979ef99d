#!/usr/bin/env python3
"""Prints what a connector wrote into the simulated ThreatQ: for each indicator of a saved
search, its status and the attributes from one source. Python standard library only.

Usage: show_threatq.py SAVED_SEARCH_HASH SOURCE_NAME   (one indicator of each type shown)
       show_threatq.py --all SOURCE_NAME               (every indicator, every one shown)
Credentials come from the environment (TQ_URL, TQ_USERNAME, TQ_PASSWORD, TQ_CLIENT_ID,
TQ_CA_FILE), never from the command line.
"""
import json, os, ssl, sys, urllib.request

base = os.environ["TQ_URL"]
ctx = ssl.create_default_context(cafile=os.environ["TQ_CA_FILE"])


def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + "/api/" + path, method=method)
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data, context=ctx) as r:
        return json.load(r)


def all_indicators(token):
    rows, offset = [], 0
    while True:
        page = call("GET", f"indicators?with=attributes,sources,type,status&limit=100&offset={offset}", token=token)
        data = page.get("data") or []
        rows.extend(data)
        offset += len(data)
        if not data or offset >= int(page.get("total", 0)):
            return rows


def main():
    collection, source = sys.argv[1], sys.argv[2]
    every = collection == "--all"
    token = call("POST", "token", {"email": os.environ["TQ_USERNAME"], "password": os.environ["TQ_PASSWORD"],
                                   "grant_type": "password", "client_id": os.environ["TQ_CLIENT_ID"]})["access_token"]
    rows, cursor = (all_indicators(token), None) if every else ([], "*")
    while cursor:
        page = call("GET", f"indicators/query/hash/{collection}?sort=updated_at&limit=1000&cursorMark={cursor}",
                    token=token)
        data = page.get("data") or []
        if not data:
            break
        rows.extend(data)
        nxt = page.get("nextCursorMark")
        if not nxt or nxt == cursor:
            break
        cursor = nxt
    touched, shown, attributes, last_type = 0, 0, 0, None
    for ind in sorted(rows, key=lambda i: (i["type"]["name"], i["value"])):
        attrs = [a for a in ind.get("attributes", [])
                 if any(s.get("name") == source for s in a.get("sources", []))]
        if not attrs:
            continue
        touched += 1
        attributes += len(attrs)
        # One indicator of each type in full; the rest are counted.
        if every or (shown < 6 and (shown == 0 or ind["type"]["name"] != last_type)):
            shown += 1
            last_type = ind["type"]["name"]
            print(f"  {ind['type']['name']} {ind['value']}  (status {ind['status']['name']})")
            for a in sorted(attrs, key=lambda a: a["name"]):
                print(f"      {a['name']:<22} {a['value']}")
    print(f"  {touched} of {len(rows)} indicators carry {attributes} attributes from \"{source}\""
          + ("" if every else " (one indicator of each type shown)"))


if __name__ == "__main__":
    main()
