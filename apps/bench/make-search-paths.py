"""Writes the request paths of the search benchmark from a seed export:

- search-fuzzy.txt: a holder name with one character changed, left out
  or added (as people mistype), in the certificate's own province;
- autocomplete.txt: the first one or two characters of a name, or the
  first six to ten characters of a number, as typed;
- lookup-baseline.txt: exact lookups of existing numbers (the baseline).

    python3 apps/bench/make-search-paths.py certs.csv OUT_DIR [COUNT]
"""

import csv
import random
import sys
import urllib.parse

export, out = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
rows = list(csv.DictReader(open(export, encoding="utf-8")))
rng = random.Random(7)
common = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def typo(name):
    chars = list(name)
    i = rng.randrange(len(chars))
    kind = rng.choice(["wrong", "missing", "extra"]) if len(chars) > 2 else rng.choice(["wrong", "extra"])
    if kind == "wrong":
        chars[i] = rng.choice([c for c in common if c != chars[i]])
    elif kind == "missing":
        del chars[i]
    else:
        chars.insert(i, rng.choice(common))
    return "".join(chars)


def q(value):
    return urllib.parse.quote(value, safe="")


picks = [rng.choice(rows) for _ in range(count)]
with open(f"{out}/search-fuzzy.txt", "w") as f:
    for r in picks:
        f.write(f"/api/v1/t/{r['tenant']}/certificates?name={q(typo(r['holder_name']))}\n")
with open(f"{out}/autocomplete.txt", "w") as f:
    for r in picks:
        if rng.random() < 0.5:
            text = r["holder_name"][: rng.choice([1, 2])]
        else:
            text = r["cert_no"][: rng.randint(6, 10)]
        f.write(f"/api/v1/t/{r['tenant']}/autocomplete?q={q(text)}\n")
with open(f"{out}/lookup-baseline.txt", "w") as f:
    for r in picks:
        f.write(f"/api/v1/t/{r['tenant']}/certificates/{r['cert_no']}\n")
