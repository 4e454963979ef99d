"""Publishes TIE reputation-change events with the real OpenDXL Python client (dxlclient).

Reads one JSON object on stdin:
  {"config": "<dxlclient.config>", "topic": "...", "payloads": [<JSON>, ...],
   "repeat": 1, "delay": 0.0, "linger": 0.5}
Each payload is sent as a DXL Event whose payload is json.dumps(payload).encode(), as
research/dxl-tie.md section 8 does. Prints one JSON line: {"sent": N, "connect_s": ..., "send_s": ...}.
"""
import json
import sys
import time

from dxlclient.client import DxlClient
from dxlclient.client_config import DxlClientConfig
from dxlclient.message import Event

spec = json.load(sys.stdin)
config = DxlClientConfig.create_dxl_config_from_file(spec["config"])
config.connect_retries = spec.get("connect_retries", 3)
t0 = time.time()
sent = 0
with DxlClient(config) as client:
    client.connect()
    t1 = time.time()
    bodies = [json.dumps(p).encode() for p in spec["payloads"]]
    for _ in range(spec.get("repeat", 1)):
        for body in bodies:
            ev = Event(spec["topic"])
            ev.payload = body
            client.send_event(ev)
            sent += 1
            if spec.get("delay"):
                time.sleep(spec["delay"])
    t2 = time.time()
    # QoS 0: give the network thread time to write everything before DISCONNECT.
    time.sleep(spec.get("linger", 0.5))
print(json.dumps({"sent": sent, "connect_s": t1 - t0, "send_s": t2 - t1}), flush=True)
