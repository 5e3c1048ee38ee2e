"""How long the service's answers took on the wire, from a packet capture.

wrk corrects its latency percentiles for the requests a slow answer held
up (each recorded latency longer than the mean interval between a
connection's requests adds made-up samples), so one request stalled for
a second weighs like hundreds. This reads what was sent and answered on
loopback, request by request, to tell a few long stalls from a slow
service:

    tcpdump -i lo -s 300 -w /tmp/run.pcap 'tcp port 8092 or tcp port 6379 or tcp port 5432' &
    wrk ... http://127.0.0.1:8092 ...
    python3 apps/bench/wire-latency.py /tmp/run.pcap

It prints percentiles of each request's time from its first segment in
to its answer's first segment out, and the slowest requests. Where the capture
also holds the service's Redis GETs and, without TLS (BENCH_PG_OPTIONS=
sslmode=disable), its PostgreSQL reads, a lookup's time is split at
them: until Redis was asked, from then until PostgreSQL was asked,
PostgreSQL's answer, and the rest. Only the standard library is used.
"""

import re
import struct
import sys

SERVICE, REDIS, POSTGRES = 8092, 6379, 5432
CERT_IN_PATH = re.compile(rb"/certificates/([A-Z0-9]+)[ ?]")
CERT_IN_GET = re.compile(rb"GET\r\n\$\d+\r\n[^\r]*:([A-Z0-9]+)\r\n")
CERT_NO = re.compile(rb"[A-Z]{2}[0-9]{11}|T[0-9]{17}[0-9X]")


def packets(path):
    """(time, source port, destination port, payload) of each TCP segment
    that carries data."""
    with open(path, "rb") as f:
        header = f.read(24)
        nanos = struct.unpack("<I", header[:4])[0] == 0xA1B23C4D
        link = struct.unpack("<I", header[20:24])[0]
        skip = {0: 4, 1: 14, 113: 16}.get(link, 14)
        while len(record := f.read(16)) == 16:
            secs, frac, size, _ = struct.unpack("<IIII", record)
            ip = f.read(size)[skip:]
            if len(ip) < 20 or ip[0] >> 4 != 4:
                continue
            ihl = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            tcp = ip[ihl:]
            sport, dport = struct.unpack(">HH", tcp[:4])
            offset = (tcp[12] >> 4) * 4
            if total - ihl - offset > 0:
                yield secs + frac / (1e9 if nanos else 1e6), sport, dport, tcp[offset:]


def ms(seconds):
    return round(seconds * 1000, 2)


def percentiles(label, values):
    values = sorted(values)
    at = lambda q: ms(values[min(len(values) - 1, int(len(values) * q))])
    print(f"{label:28} p50 {at(0.5):8} p90 {at(0.9):8} p99 {at(0.99):8} p99.9 {at(0.999):8} max {ms(values[-1]):8}")


def main(path):
    first = None
    asked = {}  # client port -> (time, first line, certificate number)
    answered = []  # (seconds, start, first line, number)
    redis_asked, pg_asked, pg_answered, pg_open = {}, {}, {}, {}
    for t, sport, dport, payload in packets(path):
        first = first if first is not None else t
        if dport == SERVICE:
            number = CERT_IN_PATH.search(payload)
            asked.setdefault(sport, (t, payload.split(b"\r\n", 1)[0], number and number.group(1)))
        elif sport == SERVICE and dport in asked:
            start, line, number = asked.pop(dport)
            answered.append((t - start, start - first, line.decode(errors="replace"), number))
        elif dport == REDIS:
            for number in CERT_IN_GET.findall(payload):
                redis_asked.setdefault(number, t)
        elif dport == POSTGRES:
            for number in CERT_NO.findall(payload):
                if number not in pg_asked:
                    pg_asked[number] = t
                    pg_open[sport] = number
        elif sport == POSTGRES and dport in pg_open:
            pg_answered[pg_open.pop(dport)] = t
    if not answered:
        sys.exit(f"no answers of port {SERVICE} in {path}")
    print(f"{len(answered)} requests answered")
    percentiles("request to answer, ms", [a[0] for a in answered])
    split = []
    for took, start, _, number in answered:
        if number in redis_asked and number in pg_answered:
            at = first + start
            split.append((took, redis_asked[number] - at, pg_asked[number] - redis_asked[number],
                          pg_answered[number] - pg_asked[number], at + took - pg_answered[number]))
    if split:
        print(f"{len(split)} of them read Redis, then PostgreSQL:")
        for i, label in enumerate(["  until Redis is asked", "  then until PostgreSQL is", "  PostgreSQL's answer", "  then until the answer"]):
            percentiles(label, [s[i + 1] for s in split])
    print("slowest (ms, seconds into the capture, request):")
    for took, start, line, _ in sorted(answered)[-10:]:
        print(f"  {ms(took):9} {start:7.3f}  {line}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 apps/bench/wire-latency.py CAPTURE.pcap")
    main(sys.argv[1])
