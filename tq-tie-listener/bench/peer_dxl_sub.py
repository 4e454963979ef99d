# Copied unchanged from research/peer-bench/dxl_sub.py (the Python peer of benchmark A).
"""dxlclient 5.7.0.1 TIE repchange subscriber; callback only decodes the JSON payload.
usage: dxl_sub.py N IDLE_S   (run from the rig dir holding dxlclient.config + certs/)
prints 'SUBSCRIBED <epoch>' once the SUBACK came back, then one JSON result line."""
import json, os, sys, time, threading
from dxlclient.client import DxlClient
from dxlclient.client_config import DxlClientConfig
from dxlclient.callbacks import EventCallback
TOPIC = "/mcafee/event/tie/file/repchange/broadcast"
N, IDLE = int(sys.argv[1]), float(sys.argv[2])
st = {"n": 0, "first": None, "last": None, "bad": 0, "cpu0": None, "cpu1": None}
cpu = lambda: sum(os.times()[:2])
class CB(EventCallback):
    def on_event(self, ev):
        d = json.loads(ev.payload.decode("utf-8"))
        if "hashes" not in d: st["bad"] += 1
        t = time.time()
        if st["first"] is None: st["first"] = t; st["cpu0"] = cpu()
        st["last"] = t; st["n"] += 1
cfg = DxlClientConfig.create_dxl_config_from_file("dxlclient.config")
with DxlClient(cfg) as c:
    c.connect()
    c.add_event_callback(TOPIC, CB())          # subscribes and waits for the SUBACK
    print("SUBSCRIBED", repr(time.time()), flush=True)
    deadline = time.time() + 600
    while time.time() < deadline:
        time.sleep(0.05)
        if st["n"] >= N: st["cpu1"] = cpu(); break
        if st["last"] is not None and time.time() - st["last"] > IDLE: st["cpu1"] = cpu(); break
    hwm = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
    dt = (st["last"] or 0) - (st["first"] or 0)
    print(json.dumps({"received": st["n"], "bad": st["bad"], "first": st["first"], "last": st["last"],
                      "span_s": dt, "rate": (st["n"] - 1) / dt if dt > 0 else None, "VmHWM_kB": int(hwm),
                      "cpu_s": (st["cpu1"] or 0) - (st["cpu0"] or 0), "per_cpu_s": (st["n"] - 1) / ((st["cpu1"] or 0) - (st["cpu0"] or 0) or 1),
                      "loadavg": open("/proc/loadavg").read().split()[0]}), flush=True)
