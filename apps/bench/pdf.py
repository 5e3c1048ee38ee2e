"""Times one-certificate PDF reports end to end (request to last byte),
beside the JSON lookup of the same certificates in the same run.

    python3 apps/bench/pdf.py BASE_URL TOKEN certs.csv [COUNT]

Prints Markdown table rows: median, p95 and the ratio to the lookup.
"""

import csv
import random
import statistics
import sys
import time
import urllib.request

base, token, export = sys.argv[1:4]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 200
rows = [r for r in csv.DictReader(open(export, encoding="utf-8")) if r["tenant"] == "gd"]
picked = random.Random(5).sample(rows, min(count, len(rows)))


def timed(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    start = time.perf_counter()
    with urllib.request.urlopen(req) as res:
        body = res.read()
    return (time.perf_counter() - start) * 1000, len(body)


def series(make_path):
    # Once through untimed: the font is read on the first PDF.
    timed(make_path(picked[0]))
    return [timed(make_path(r)) for r in picked]


lookup = series(lambda r: f"/api/v1/t/gd/certificates/{r['cert_no']}")
pdf = series(lambda r: f"/api/v1/t/gd/certificates/{r['cert_no']}/report.pdf")


def row(name, runs, base_median):
    ms = sorted(t for t, _ in runs)
    median = statistics.median(ms)
    p95 = ms[int(len(ms) * 0.95) - 1]
    size = statistics.median(n for _, n in runs) / 1024
    print(f"| {name} | {len(ms)} | {median:.1f} ms | {p95:.1f} ms | {median / base_median:.1f}× | {size:.0f} KB |", flush=True)


base_median = statistics.median(t for t, _ in lookup)
row("lookup (JSON, the baseline)", lookup, base_median)
row("one-certificate PDF report", pdf, base_median)
