"""Turns a `safecert seed --export` CSV into wrk path files.

python3 make-paths.py certs.csv outdir [hot_count]
writes outdir/verify-all.txt, lookup-all.txt (every certificate, shuffled),
verify-hot.txt, lookup-hot.txt (the first hot_count of them) and
verify-warm.txt, lookup-warm.txt (the last WARM of them: a cold run reads
each thread's half of the file from its start and never gets that far, so
a warm-up with them opens connections without caching what is measured).
"""
import csv
import random
import sys
import urllib.parse

source, out = sys.argv[1], sys.argv[2]
hot = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
WARM = 20_000
with open(source, encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
random.Random(42).shuffle(rows)
verify = [
    "/api/v1/verify?" + urllib.parse.urlencode({"cert_no": r["cert_no"], "name": r["holder_name"]}) for r in rows
]
lookup = [f"/api/v1/t/{r['tenant']}/certificates/{r['cert_no']}" for r in rows]
for name, lines in [("verify", verify), ("lookup", lookup)]:
    with open(f"{out}/{name}-all.txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(f"{out}/{name}-hot.txt", "w") as f:
        f.write("\n".join(lines[:hot]) + "\n")
    with open(f"{out}/{name}-warm.txt", "w") as f:
        f.write("\n".join(lines[-WARM:]) + "\n")
print(f"{len(rows)} certificates, hot set {min(hot, len(rows))}")
