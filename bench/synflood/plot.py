#!/usr/bin/python3
"""Plots and a summary of bench/synflood/run's results.json.

Usage: /usr/bin/python3 bench/synflood/plot.py DIR

Reads DIR/results.json and writes into DIR:
- legit_success.png: legitimate success rate against the flood rate
  reached, one line per stack and mode; left panel scenario 1 (net_memif,
  tern's cookie modes, the bare loop's ceiling as a vertical line), right
  panel scenario 2 (veth: tern and Linux);
- connect_p99.png: connect p99 against the flood rate reached, the same
  panels (both: SYN floods only);
- kinds.png: tern's (cookies always) legitimate success and connect p99
  against the flood rate reached, one line per flood kind;
- cookie_modes.png: scenario 3, tern with cookies off, on_overflow and
  always under the same SYN flood: legitimate success, connect p99, SYN-ACKs
  sent and tern's cycles per frame against the flood reached;
- summary.md: scenario 3's matrix (cookie_mode_matrix, which run also
  writes into results.json as "cookie_modes"), one table per trial (with tern, its cookies sent and
  validated per second in each step, from scenario.sh's server_step), the
  rate ratio's pairs (ratio_alternation, results.json's "ratio") and,
  per stack and mode, the highest
  flood rate reached at which at least 99.9 % of the legitimate
  connections succeeded.
matplotlib is Debian's python3-matplotlib (scripts/setup), seen by
/usr/bin/python3 only.
"""
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [("kernel_bypass", "scenario 1: net_memif, one lcore each"),
          ("linux", "scenario 2: veth pair, net_af_packet or net_af_xdp")]
# The ratio's fastest level: reflect phases within 20 % of the trial's
# highest reflect rate (the two levels seen differ by a factor of about two,
# doc/benchmarks.md; within one level the reflect rate moved by under 10 %).
FAST_LEVEL = 0.8
# 99.9 %: the success target.
TARGET = 0.999


def label(doc):
    first = doc["steps"][0]
    kind = first.get("flood_kind", "syn")
    # Scenario 2's driver on the veth ends, when it is not net_af_packet.
    pmd = doc.get("veth_pmd", "af_packet")
    return "%s (%s)%s%s" % (first["stack"], first["mode"],
                            "" if kind == "syn" else ", %s flood" % kind,
                            "" if pmd == "af_packet" else ", %s" % pmd)


def is_syn(doc):
    return doc["steps"][0].get("flood_kind", "syn") == "syn"


def ratio(step):
    if not step["legit_attempted"]:
        return None
    return step["legit_succeeded"] / step["legit_attempted"]


def highest_ok(doc):
    best = None
    for s in doc["steps"]:
        r = ratio(s)
        if r is not None and r >= TARGET:
            if best is None or s["flood_pps_reached"] > best:
                best = s["flood_pps_reached"]
    return best


def flood_axis(ax, ylabel, logy, ylim):
    """The x axis every plot shares (flood rate reached, linear to 1000 and
    logarithmic above) and the y axis as asked."""
    ax.set_xscale("symlog", linthresh=1000)
    ax.set_xlim(left=0)
    if logy:
        ax.set_yscale("log")
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_xlabel("flood reached (SYN/s; 0 to 1000 linear)")
    ax.set_ylabel(ylabel)


def plot(results, out, key, ylabel, filename, logy, ylim=None):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, (scenario, title) in zip(axes, PANELS):
        for doc in results["trials"]:
            first = doc["steps"][0]
            if first["scenario"] != scenario or first["stack"] == "bare" or \
                    not is_syn(doc):
                continue
            xs, ys = [], []
            for s in doc["steps"]:
                y = key(s)
                if y is None:
                    continue
                xs.append(s["flood_pps_reached"])
                ys.append(y)
            ax.plot(xs, ys, marker="o", label=label(doc))
            ceiling = first.get("ceiling_pps")
            if ceiling:
                ax.axvline(ceiling, color="grey", linestyle=":",
                           label="bare loop %.0f kpps" % (ceiling / 1000))
        flood_axis(ax, ylabel, logy, ylim)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels, handles))
        if uniq:  # none under --only without this panel's trials
            ax.legend(uniq.values(), uniq.keys(), fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, filename), dpi=100)
    plt.close(fig)


def plot_kinds(results, out):
    """tern's legitimate success and connect p99 under each flood kind."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, key, ylabel, logy in (
            (axes[0], ratio, "legitimate success rate", False),
            (axes[1], lambda s: s["connect_p99_us"], "connect p99 (us)",
             True)):
        for doc in results["trials"]:
            first = doc["steps"][0]
            if first["scenario"] != "kernel_bypass" or first["stack"] != "tern" \
                    or first["mode"] != "always":
                continue
            pts = [(s["flood_pps_reached"], key(s)) for s in doc["steps"]
                   if key(s) is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                    label="%s flood" % first.get("flood_kind", "syn"))
        ax.set_xscale("symlog", linthresh=1000)
        ax.set_xlim(left=0)
        if logy:
            ax.set_yscale("log")
        else:
            ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("flood reached (segments/s; 0 to 1000 linear)")
        ax.set_ylabel(ylabel)
        ax.set_title("tern (cookies always) over net_memif, by flood kind")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # none under --only
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "kinds.png"), dpi=100)
    plt.close(fig)


# Scenario 3: tern's cookie modes under the same SYN flood over net_memif.
COOKIE_MODES = ["off", "on_overflow", "always"]


def cookie_mode_trials(results):
    """The scenario 3 trials, in COOKIE_MODES order."""
    found = {}
    for doc in results["trials"]:
        first = doc["steps"][0]
        if first["scenario"] == "kernel_bypass" and first["stack"] == "tern" \
                and is_syn(doc) and first["mode"] in COOKIE_MODES:
            found[first["mode"]] = doc
    return [found[m] for m in COOKIE_MODES if m in found]


def per_second(step, counter):
    d = step.get("server_step")
    if not d or not d.get("interval_s"):
        return None
    return d.get(counter, 0) / d["interval_s"]


def cycles_per_packet(step):
    d = step.get("server_step")
    return None if not d else d.get("cycles_per_packet")


def syn_retransmit_mean(step):
    rx = step.get("legit_syn_retransmits")
    return rx.get("mean") if isinstance(rx, dict) else None


# The matrix's columns: (key in results.json, how to read it from a step).
MATRIX_COLUMNS = [
    ("flood_pps_offered", lambda s: s["flood_pps_offered"]),
    ("flood_pps_reached", lambda s: s["flood_pps_reached"]),
    ("replies_pps", lambda s: s["replies_pps"]),
    ("legit_success_ratio", ratio),
    ("connect_p50_us", lambda s: s["connect_p50_us"]),
    ("connect_p99_us", lambda s: s["connect_p99_us"]),
    ("legit_syn_retransmit_mean", syn_retransmit_mean),
    ("cookies_sent_per_s", lambda s: per_second(s, "listen.cookies_sent")),
    ("cookies_validated_per_s",
     lambda s: per_second(s, "listen.cookies_validated")),
    ("cycles_per_packet", cycles_per_packet),
]


def cookie_mode_matrix(results):
    """Scenario 3 as rows: one per cookie mode and flood step."""
    rows = []
    for doc in cookie_mode_trials(results):
        for s in doc["steps"]:
            row = {"mode": s["mode"], "step": s["step"]}
            row.update({k: f(s) for k, f in MATRIX_COLUMNS})
            rows.append(row)
    return rows


def ratio_alternation(doc):
    """The ratio group (bench/synflood/run): `doc` is scenario.sh's document
    of tern started with --reflect-alternation-ms; the pairs are those of
    its last step (max), each a TCP phase and the reflect phase after it,
    with tern's cycles per frame in both (busy cycles over frames in), as
    scenario.sh paired them."""
    alt = doc["reflect_alternation"]
    last = alt["steps"][-1] if alt["steps"] else {"pairs": []}
    pairs = last["pairs"]
    step = doc["steps"][-1] if doc["steps"] else {}
    # This machine's speed levels move the bare loop's rate by a factor of
    # two and tern's by less (doc/benchmarks.md), so one median over pairs
    # at both levels says little: the pairs whose reflect phase ran at the
    # trial's fastest level, within FAST_LEVEL of its highest reflect rate,
    # are summarised apart; they hold the target to the link at its best.
    top = max((p["reflect_pps"] for p in pairs), default=0)
    fast = sorted(p["ratio"] for p in pairs
                  if p["reflect_pps"] >= FAST_LEVEL * top)
    return {"phase_ms": alt["phase_ms"],
            "step_duration_s": step.get("duration_s"),
            "flood_pps_reached": step.get("flood_pps_reached"),
            "pairs": pairs,
            "median": last.get("median"),
            "min": last.get("min"),
            "max": last.get("max"),
            "fastest_level": {
                "reflect_pps_at_least": round(FAST_LEVEL * top, 1),
                "pairs": len(fast),
                "median": statistics.median(fast) if fast else None,
                "min": fast[0] if fast else None,
                "max": fast[-1] if fast else None},
            "machine_step": step.get("machine_step"),
            "trial": doc}


def plot_cookie_modes(results, out):
    """Scenario 3: four panels against the flood reached, a line per mode."""
    trials = cookie_mode_trials(results)
    if not trials:
        return
    panels = [
        (ratio, "legitimate success rate", False, (-0.02, 1.02)),
        (lambda s: s["connect_p99_us"], "connect p99 (us)", True, None),
        (lambda s: s["replies_pps"], "SYN-ACKs to spoofed sources (/s)",
         False, None),
        (cycles_per_packet, "tern busy cycles per frame received", True,
         None),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for ax, (key, ylabel, logy, ylim) in zip(axes.flat, panels):
        for doc in trials:
            pts = [(s["flood_pps_reached"], key(s)) for s in doc["steps"]
                   if key(s) is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                    label="cookies %s" % doc["steps"][0]["mode"])
        flood_axis(ax, ylabel, logy, ylim)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # none under --only
            ax.legend(fontsize=8)
    fig.suptitle("scenario 3: tern's cookie modes under one SYN flood "
                 "(net_memif, one lcore each)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "cookie_modes.png"), dpi=100)
    plt.close(fig)


def server_rates(step):
    """tern's cookie rates over the step (scenario.sh's server_step)."""
    d = step.get("server_step")
    if not d or not d["interval_s"]:
        return "-"
    cpp = d.get("cycles_per_packet")
    return "%.0f, %.0f, %s" % (d["listen.cookies_sent"] / d["interval_s"],
                               d["listen.cookies_validated"] / d["interval_s"],
                               "-" if cpp is None else cpp)


def syn_rtx(step):
    rx = step.get("legit_syn_retransmits")
    if not isinstance(rx, dict):
        return "-"
    return "/".join(str(rx[k]) for k in ("0", "1", "2", "3+"))


def stalled(step):
    """tern-flood's time off its core in stalls of 1 ms or more."""
    if "loop_stall_total_us" not in step:
        return "-"
    return "%.1f of %.0f" % (step["loop_stall_total_us"] / 1e6,
                             step["duration_s"])


def us(v):
    return "-" if v is None else str(v)


def shares(side, key):
    """cpu0/cpu1 shares of the max step, in per cent."""
    m = side and side.get("machine_step")
    if not m:
        return "-"
    return "/".join("%.0f" % (100 * m["cpus"][c][key])
                    for c in sorted(m["cpus"]) if c != "cpu")


def mhz(side):
    m = side and side.get("machine_step")
    if not m or not m.get("mhz_min"):
        return "-"
    lo, hi = min(m["mhz_min"]), max(m["mhz_max"])
    return "%.0f" % lo if lo == hi else "%.0f-%.0f" % (lo, hi)


def ratio_table(r):
    if not r:
        return []
    lines = ["## Rate ratio: tern (always) against the bare loop, alternating",
             "",
             "tern's engine alternates every %d ms between TCP and the bare "
             "reflect loop on the same memif queue pair (tern "
             "--reflect-alternation-ms); the max step (%s s, tern-flood "
             "%.2f M frames/s) holds these pairs of a TCP phase and the "
             "reflect phase after it. Rates are tern's frames out per second "
             "in the phase; cycles/frame are its busy cycles over frames in. "
             "Busy shares over the step (cpu0: tern, cpu1: tern-flood): %s; "
             "steal: %s; cpu MHz: %s." % (
                 r["phase_ms"], r["step_duration_s"],
                 (r["flood_pps_reached"] or 0) / 1e6,
                 shares(r, "busy_share"), shares(r, "steal_share"), mhz(r)),
             "",
             "| TCP phase | TCP: SYN-ACKs (M/s) | reflect (M frames/s) | "
             "ratio | cycles/frame TCP, reflect |",
             "| --- | --- | --- | --- | --- |"]
    for p in r["pairs"]:
        lines.append("| %d | %.2f | %.2f | %.1f %% | %s, %s |" % (
            p["stack_index"], p["stack_pps"] / 1e6, p["reflect_pps"] / 1e6,
            100 * p["ratio"], p.get("stack_cycles_per_packet") or "-",
            p.get("reflect_cycles_per_packet") or "-"))
    if r["median"] is not None:
        lines += ["", "Median ratio %.1f %%, min %.1f %%, max %.1f %% "
                  "(%d pairs)." % (100 * r["median"], 100 * r["min"],
                                   100 * r["max"], len(r["pairs"]))]
    f = r.get("fastest_level") or {}
    if f.get("median") is not None:
        lines += ["", "At the trial's fastest level (reflect phases at or "
                  "above %.2f M frames/s, 80 %% of the highest): median "
                  "%.1f %%, min %.1f %%, max %.1f %% (%d pairs)." % (
                      f["reflect_pps_at_least"] / 1e6, 100 * f["median"],
                      100 * f["min"], 100 * f["max"], f["pairs"])]
    return lines + [""]


def summary(results, out):
    lines = ["# SYN-flood suite", "", "`%s`" % results["command"], "",
             "Machine: %(cpus)d CPUs, %(cpu)s, Linux %(kernel)s; "
             "load average %(load_before)s before, %(load_after)s after" %
             results["machine"], ""]
    if "yield_every_us" in results:
        # Since session 15; the runs before it carry no yield.
        lines += ["Kernel-bypass trials: SCHED_FIFO priority %d, RT period "
                  "%d us, %s" % (
                      results["rt_priority"], results["rt_period_us"],
                      "the polling loops sleep at least %d us in every %d us"
                      % (results["yield_us"], results["yield_every_us"])
                      if results["yield_every_us"] else
                      "the polling loops do not yield"), ""]
    for doc in results["trials"]:
        first = doc["steps"][0]
        lines += ["## %s, %s" % (first["scenario"], label(doc)), ""]
        # tern-flood writes the connect latencies free of its own stalls
        # since session 14; older documents have none.
        no_stall = any("connect_no_stall_p99_us" in s for s in doc["steps"])
        lines += ["| offered | reached | replies/s | legit ok | "
                  "connect p50 / p99 / max (us)%s | SYN rtx 0/1/2/3+ | " % (
                      "; without a tern-flood stall: p99 / max"
                      if no_stall else "") +
                  "tern-flood stalled (s) | tern: cookies sent/s, "
                  "validated/s, cycles/packet | busy % cpu0/cpu1 | "
                  "steal % cpu0/cpu1 |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- "
                  "| --- |"]
        for s in doc["steps"]:
            lines.append("| %s | %.0f | %.0f | %d/%d | %s / %s / %s%s | %s | %s | %s | %s | %s |" % (
                s["flood_pps_offered"], s["flood_pps_reached"],
                s["replies_pps"], s["legit_succeeded"], s["legit_attempted"],
                us(s["connect_p50_us"]), us(s["connect_p99_us"]),
                us(s["connect_max_us"]),
                "; %s / %s" % (us(s.get("connect_no_stall_p99_us")),
                               us(s.get("connect_no_stall_max_us")))
                if no_stall else "",
                syn_rtx(s), stalled(s),
                server_rates(s), shares(s, "busy_share"),
                shares(s, "steal_share")))
        if doc.get("server_counters"):
            lines += ["", "Server counters: " + ", ".join(
                "%s %d" % kv for kv in sorted(doc["server_counters"].items()))]
        lines.append("")
    rows = cookie_mode_matrix(results)
    if rows:
        lines += ["## Scenario 3: cookie modes", "",
                  "| mode | offered | reached | SYN-ACKs/s | legit ok | "
                  "connect p50 / p99 (us) | SYN rtx mean | cookies sent/s, "
                  "validated/s | cycles/frame |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

        def num(v, fmt="%.0f"):
            return "-" if v is None else fmt % v
        for r in rows:
            lines.append("| %s | %s | %s | %s | %s | %s / %s | %s | %s, %s | %s |"
                         % (r["mode"], r["flood_pps_offered"],
                            num(r["flood_pps_reached"]), num(r["replies_pps"]),
                            num(r["legit_success_ratio"], "%.4f"),
                            us(r["connect_p50_us"]), us(r["connect_p99_us"]),
                            num(r["legit_syn_retransmit_mean"], "%.3f"),
                            num(r["cookies_sent_per_s"]),
                            num(r["cookies_validated_per_s"]),
                            num(r["cycles_per_packet"])))
        lines.append("")
    lines += ratio_table(results.get("ratio"))
    lines += ["## Highest flood with >= 99.9 % legitimate success", "",
              "| scenario | stack (mode) | flood reached |", "| --- | --- | --- |"]
    for doc in results["trials"]:
        first = doc["steps"][0]
        if first["stack"] == "bare":
            continue
        best = highest_ok(doc)
        lines.append("| %s | %s | %s |" % (
            first["scenario"], label(doc),
            "none" if best is None else "%.0f" % best))
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    out = sys.argv[1]
    results = json.load(open(os.path.join(out, "results.json")))
    plot(results, out, ratio, "legitimate success rate",
         "legit_success.png", logy=False, ylim=(-0.02, 1.02))
    plot(results, out, lambda s: s["connect_p99_us"], "connect p99 (us)",
         "connect_p99.png", logy=True)
    plot_kinds(results, out)
    plot_cookie_modes(results, out)
    summary(results, out)


if __name__ == "__main__":
    main()
