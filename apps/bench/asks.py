"""Asks the service for hot numbers one after another on one kept-alive
connection, each request with the same headers: a fixed amount of work
whose cost can be counted. Stops at the first answer that is not 200.

    python3 apps/bench/asks.py PORT PATHS_FILE COUNT [BEARER_TOKEN]
"""

import http.client
import sys

port, paths_file, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
headers = {"Authorization": "Bearer " + sys.argv[4]} if len(sys.argv) > 4 else {}
with open(paths_file, encoding="utf-8") as f:
    paths = [line.strip() for line in f if line.strip()][:count]
connection = http.client.HTTPConnection("127.0.0.1", port)
for i in range(count):
    connection.request("GET", paths[i % len(paths)], headers=headers)
    answer = connection.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit(f"{paths[i % len(paths)]}: {answer.status}")
