"""Times batch verification end to end: a workbook of N rows uploaded,
the job followed until done, the .xlsx report downloaded. Beside it, the
floor under it: the same numbers read from the national directory by
psql in one statement.

    python3 apps/bench/batch.py BASE_URL TOKEN certs.csv PG_URL OUT_DIR N [N ...]

Prints one Markdown table row per size: the median of three runs.
"""

import csv
import io
import json
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.request
import zipfile
from xml.sax.saxutils import escape

base, token, export, pg, out = sys.argv[1:6]
sizes = [int(n) for n in sys.argv[6:]]
rows = list(csv.DictReader(open(export, encoding="utf-8")))
rng = random.Random(11)


def workbook(picked):
    """A minimal .xlsx (inline strings), as other tools write them."""
    lines = ['<row r="1"><c r="A1" t="inlineStr"><is><t>证书编号</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>姓名</t></is></c></row>']
    for i, r in enumerate(picked, start=2):
        lines.append(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{escape(r["cert_no"])}</t></is></c>'
                     f'<c r="B{i}" t="inlineStr"><is><t>{escape(r["holder_name"])}</t></is></c></row>')
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + "".join(lines) + "</sheetData></worksheet>")
    ns = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        f"</Types>",
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        f"</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
        f"</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        f"</Relationships>",
        "xl/worksheets/sheet1.xml": sheet,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def call(method, path, body=None):
    req = urllib.request.Request(base + path, body, {"Authorization": "Bearer " + token}, method=method)
    with urllib.request.urlopen(req) as res:
        return res.read()


def end_to_end(xlsx):
    start = time.perf_counter()
    job = json.loads(call("POST", "/api/v1/batch-verifications?file_name=bench.xlsx", xlsx))
    while job["state"] not in ("done", "failed"):
        time.sleep(0.02)
        job = json.loads(call("GET", f"/api/v1/batch-verifications/{job['id']}"))
    assert job["state"] == "done", job
    report = call("GET", f"/api/v1/batch-verifications/{job['id']}/report.xlsx")
    return time.perf_counter() - start, job, len(report)


def directory_read(picked):
    numbers = ",".join("'" + r["cert_no"] + "'" for r in picked)
    sql = f"\\timing on\nSELECT count(*) FROM platform.cert_directory WHERE cert_no IN ({numbers});\n"
    path = f"{out}/directory-{len(picked)}.sql"
    open(path, "w").write(sql)
    text = subprocess.run(["psql", "-X", "-q", pg, "-f", path], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Time: ([0-9.]+) ms", text).group(1)) / 1000


for n in sizes:
    picked = [rng.choice(rows) for _ in range(n)]
    xlsx = workbook(picked)
    runs = [end_to_end(xlsx) for _ in range(3)]
    floor = statistics.median(directory_read(picked) for _ in range(3))
    median = statistics.median(t for t, _, _ in runs)
    job = runs[0][1]
    valid = job["summary"]["valid"] + job["summary"]["expiring"] + job["summary"]["expired"]
    print(f"| {n:,} rows ({len(xlsx) // 1024} KB .xlsx) | {median:.2f} s | "
          f"{', '.join(f'{t:.2f}' for t, _, _ in runs)} | {floor:.3f} s | "
          f"{job['summary']['total']} rows, {valid} found with a status, report {runs[0][2] // 1024} KB |", flush=True)
