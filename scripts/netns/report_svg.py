"""An SVG of a fault-suite run that a person reads at a glance: time across, acknowledged
submits per second (blue) and the median and highest latency of each second (orange, log
scale on the right), every fault as a shaded band named by its kind, and the checks' verdicts.
Standard library only."""

import math
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 1100, 420
LEFT, RIGHT, TOP, BOTTOM = 60, 70, 60, 50
COLOURS = {"isolate": "#f4a6a6", "split": "#f7c59f", "bridge": "#f9e79f", "oneway": "#c5e1a5",
           "loss": "#a5d6e7", "kill": "#d7a6f4", "pause": "#b0bec5", "restart": "#ffe0b2",
           "loss+kill": "#e1bee7", "scatter": "#ef9a9a"}


def write(path, history, faults, run_start, run_end, checks, verdict):
    """history: the operations; faults: {kind, target, start, end}; checks: {name: violations}."""
    start = min([run_start] + [op["invoke"] for op in history])
    seconds = max(1, int(math.ceil(run_end - start)))
    rate = [0] * seconds
    latencies = [[] for _ in range(seconds)]
    for op in history:
        if op["op"] == "submit" and op["outcome"] == "ok":
            second = min(seconds - 1, max(0, int(op["complete"] - start)))
            rate[second] += 1
            latencies[second].append(op["complete"] - op["invoke"])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x = lambda t: LEFT + plot_w * (t / seconds)
    rate_max = max(rate + [1])
    y_rate = lambda r: TOP + plot_h * (1 - r / rate_max)
    low, high = math.log10(0.001), math.log10(10.0)        # 1 ms .. 10 s
    y_latency = lambda s: TOP + plot_h * (1 - (min(max(math.log10(max(s, 1e-3)), low), high) - low) / (high - low))

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (WIDTH, HEIGHT),
           '<rect width="100%" height="100%" fill="white"/>']
    for fault in faults:
        x0, x1 = x(fault["start"] - start), x(fault["end"] - start)
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" opacity="0.6"><title>%s</title></rect>' % (
            x0, TOP, max(x1 - x0, 1), plot_h, COLOURS.get(fault["kind"], "#ddd"), escape("%s: %s" % (fault["kind"], fault["target"]))))
        out.append('<text x="%.1f" y="%d" font-size="10" transform="rotate(-30 %.1f %d)">%s</text>' % (
            x0 + 2, TOP - 4, x0 + 2, TOP - 4, escape(fault["kind"])))
    # Axes and scales.
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>' % (LEFT, TOP, plot_w, plot_h))
    for tick in range(0, seconds + 1, max(1, seconds // 10)):
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d s</text>' % (x(tick), HEIGHT - BOTTOM + 16, tick))
    for fraction in (0, 0.5, 1):
        out.append('<text x="%d" y="%.1f" text-anchor="end" fill="#1f5fbf">%d/s</text>' % (LEFT - 4, y_rate(rate_max * fraction) + 4, rate_max * fraction))
    for label, value in (("1 ms", 0.001), ("10 ms", 0.01), ("100 ms", 0.1), ("1 s", 1.0), ("10 s", 10.0)):
        out.append('<text x="%d" y="%.1f" fill="#d2691e">%s</text>' % (WIDTH - RIGHT + 4, y_latency(value) + 4, label))
    # Throughput, then latency (median line, highest dots).
    points = " ".join("%.1f,%.1f" % (x(s + 0.5), y_rate(r)) for s, r in enumerate(rate))
    out.append('<polyline points="%s" fill="none" stroke="#1f5fbf" stroke-width="1.5"/>' % points)
    medians = [(s, sorted(l)[len(l) // 2]) for s, l in enumerate(latencies) if l]
    out.append('<polyline points="%s" fill="none" stroke="#d2691e" stroke-width="1"/>' % " ".join(
        "%.1f,%.1f" % (x(s + 0.5), y_latency(v)) for s, v in medians))
    for s, l in enumerate(latencies):
        if l:
            out.append('<circle cx="%.1f" cy="%.1f" r="1.5" fill="#d2691e"/>' % (x(s + 0.5), y_latency(max(l))))
    # The checks: one mark each, green when it found nothing.
    status = ", ".join("%s %s %d" % ("\u2713" if n == 0 else "\u2717", name, n) for name, n in checks.items())
    # The verdict in bold, the checks after it in a smaller face: all eight fit the plot's width.
    out.append('<text x="%d" y="18" font-size="11" fill="%s"><tspan font-size="14" font-weight="bold">%s</tspan>  %s</text>' % (
        LEFT, "#2e7d32" if verdict else "#c62828", "PASS" if verdict else "FAIL", escape(status)))
    out.append('<text x="%d" y="%d" fill="#555">blue: acknowledged submits per second; orange: median latency (line) and highest (dots) per second; bands: faults</text>' % (
        LEFT, HEIGHT - 12))
    out.append('</svg>')
    with open(path, "w", encoding="utf-8") as svg:
        svg.write("\n".join(out) + "\n")
