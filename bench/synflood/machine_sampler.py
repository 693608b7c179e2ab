#!/usr/bin/python3
"""Samples what the machine does during a flood trial: /proc/stat's CPU
time counters and /proc/cpuinfo's clock.

Usage: machine_sampler.py OUT [PERIOD_S]

Every PERIOD_S seconds (default 0.25, the period of telemetry_sampler.py,
so that a step of 2 s holds several samples) appends one line to OUT:
{"t": wall-clock seconds, "cpu": {"cpu": [...], "cpu0": [...], ...},
"mhz": [cpu MHz of each processor]}, each list the first eight columns of
the CPU's /proc/stat line (user, nice, system, idle, iowait, irq, softirq,
steal, in USER_HZ ticks; proc(5): guest and guest_nice are already counted
in user and nice, so they are left out). Stops on SIGTERM or SIGINT.
bench/synflood/scenario.sh turns two samples into the machine's share of
busy, idle and stolen time per CPU over a step (machine_interval below),
so that a slow trial can be told from a slow machine: steal is the time
the hypervisor ran something else while this vCPU had work.
"""
import json
import signal
import sys
import time

# proc(5): the columns of a "cpuN" line that add up to the CPU's time.
COLUMNS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq",
           "steal"]

running = True


def stop(*_):
    global running
    running = False


def read_stat():
    cpus = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            fields = line.split()
            cpus[fields[0]] = [int(v) for v in fields[1:1 + len(COLUMNS)]]
    return cpus


def read_mhz():
    mhz = []
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                mhz.append(float(line.split(":", 1)[1]))
    return mhz


def machine_interval(samples, user_hz):
    """The machine from the first to the last of samples (in time order):
    per CPU the shares of its ticks that were busy (user, nice, system,
    irq, softirq), idle (idle, iowait) and stolen, and the stolen seconds;
    and each processor's lowest and highest cpu MHz over the samples."""
    a, b = samples[0], samples[-1]
    out = {"interval_s": round(b["t"] - a["t"], 3), "cpus": {}}
    for name, after in b["cpu"].items():
        before = a["cpu"].get(name)
        if before is None:
            continue
        d = dict(zip(COLUMNS, (y - x for x, y in zip(before, after))))
        total = sum(d.values())
        if total <= 0:
            continue
        busy = d["user"] + d["nice"] + d["system"] + d["irq"] + d["softirq"]
        out["cpus"][name] = {
            "busy_share": round(busy / total, 4),
            "idle_share": round((d["idle"] + d["iowait"]) / total, 4),
            "steal_share": round(d["steal"] / total, 4),
            "steal_s": round(d["steal"] / user_hz, 3),
        }
    mhz = [s["mhz"] for s in samples if s.get("mhz")]
    out["mhz_min"] = [min(m[i] for m in mhz) for i in range(len(mhz[0]))] \
        if mhz else None
    out["mhz_max"] = [max(m[i] for m in mhz) for i in range(len(mhz[0]))] \
        if mhz else None
    return out


def main():
    out = sys.argv[1]
    period = float(sys.argv[2]) if len(sys.argv) > 2 else 0.25
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(out, "a") as f:
        while running:
            sample = {"t": time.time(), "cpu": read_stat(), "mhz": read_mhz()}
            f.write(json.dumps(sample) + "\n")
            f.flush()
            time.sleep(period)


if __name__ == "__main__":
    main()
