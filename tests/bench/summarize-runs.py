#!/usr/bin/env python3
"""Summarizes several run-bench.sh runs (their results.json) into one markdown table.

    tests/bench/summarize-runs.py out-run1/results.json out-run2/results.json out-run3/results.json

Each cell is the median of the runs with the lowest and highest in brackets; the ratio columns are
forgewire (epoll) over each peer, computed per run and shown as their range. One run varies by 20%
or more on a shared 2-core machine, so a single table says less than the spread of a few.
"""

import json
import statistics
import sys

SERVERS = [
    ("forgewire", "forgewire-server (epoll)"),
    ("forgewire-qt", "forgewire-server (qt)"),
    ("go", "Go (nhooyr.io/websocket)"),
    ("node", "Node.js (ws)"),
    ("floor", "raw sockets (floor)"),
]

# (label, scenario, key, scale, decimals); "{n}" is replaced by the scenario's connection count.
ROWS = [
    ("broadcast to {n}: deliveries/s (higher is better)", "broadcast", "deliveries_per_s", 1, 0),
    ("broadcast to {n}: p50 latency, ms (lower is better)", "broadcast", "p50_us", 1000, 2),
    ("broadcast to {n}: p99 latency, ms (lower is better)", "broadcast", "p99_us", 1000, 2),
    ("broadcast saturated: p99 latency, ms (lower is better)", "broadcast", "load_p99_us", 1000, 2),
    ("broadcast saturated: server CPU per delivery, us (lower is better)", "broadcast", "cpu_us_per_delivery", 1, 2),
    ("unicast, {n} users: deliveries/s (higher is better)", "unicast", "deliveries_per_s", 1, 0),
    ("unicast: p99 latency, ms (lower is better)", "unicast", "p99_us", 1000, 2),
    ("unicast: server CPU per delivery, us (lower is better)", "unicast", "cpu_us_per_delivery", 1, 2),
    ("{n} subscribers x 20 msg/s: p50 latency, ms (lower is better)", "latency", "p50_us", 1000, 2),
    ("{n} subscribers x 20 msg/s: p99 latency, ms (lower is better)", "latency", "p99_us", 1000, 2),
    ("idle: KiB RSS per connection at {n} (lower is better)", "idle", "kib_per_connection", 1, 2),
    ("connect storm: s until {n} hellos (lower is better)", "storm", "seconds", 1, 2),
    ("restart with {n} clients: s until all have hello again (lower is better)", "restart", "seconds", 1, 2),
    ("restart: attempts the server refused (lower is better)", "restart", "refused", 1, 0),
]


# The floor measures only some rows the same way (as run-bench.sh's table): its saturated p99 is the
# "broadcast saturated" row; it has no one-publication-at-a-time broadcast latency.
FLOOR_KEYS = {
    ("broadcast", "deliveries_per_s"): "deliveries_per_s",
    ("broadcast", "cpu_us_per_delivery"): "cpu_us_per_delivery",
    ("broadcast", "load_p99_us"): "p99_us",
    ("latency", "p50_us"): "p50_us",
    ("latency", "p99_us"): "p99_us",
}


def value(run, server, scenario, key):
    if server == "floor":
        key = FLOOR_KEYS.get((scenario, key))
        if key is None:
            return None
    v = run["results"].get(server, {}).get(scenario, {}).get(key)
    if v is None or v == "" or (key != "refused" and isinstance(v, (int, float)) and v < 0):
        return None
    return float(v)


def cell(values, scale, decimals):
    values = [v / scale for v in values if v is not None]
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{decimals}f}"
    return f"{med:.{decimals}f} ({min(values):.{decimals}f}–{max(values):.{decimals}f})"


def ratio_range(runs, scenario, key, peer):
    if key == "refused":
        return "n/a"  # counts, not rates: the row itself says it
    ratios = []
    for run in runs:
        a, b = value(run, "forgewire", scenario, key), value(run, peer, scenario, key)
        if a is not None and b:
            ratios.append(a / b)
    if not ratios:
        return "n/a"
    return f"{min(ratios):.2f}–{max(ratios):.2f}" if len(ratios) > 1 else f"{ratios[0]:.2f}"


def connections(runs, scenario):
    for run in runs:
        for server, _ in SERVERS:
            n = run["results"].get(server, {}).get(scenario, {}).get("connections")
            if n:
                return int(n)
    return "?"


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    print(f"{len(runs)} runs ({', '.join(r['date'] for r in runs)}), {runs[0]['cores']} cores; "
          "median (lowest–highest).")
    print()
    print("| scenario | " + " | ".join(label for _, label in SERVERS) + " | forgewire / Go | forgewire / Node |")
    print("|---|" + "---|" * (len(SERVERS) + 2))
    for label, scenario, key, scale, decimals in ROWS:
        cells = [cell([value(r, s, scenario, key) for r in runs], scale, decimals) for s, _ in SERVERS]
        print(f"| {label.format(n=connections(runs, scenario))} | " + " | ".join(cells) +
              f" | {ratio_range(runs, scenario, key, 'go')} | {ratio_range(runs, scenario, key, 'node')} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
