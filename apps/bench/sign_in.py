"""Signs in with a password and an authenticator key; prints the session
token. Used by the benchmark scripts.

    python3 apps/bench/sign_in.py BASE_URL LOGIN PASSWORD TOTP_SECRET
"""

import base64
import hashlib
import hmac
import json
import struct
import sys
import time
import urllib.request

base, login, password, secret = sys.argv[1:5]


def post(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))


def totp(secret_b32):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


challenge = post("/api/v1/auth/sign-in", {"login": login, "password": password})["challenge"]
print(post("/api/v1/auth/verify", {"challenge": challenge, "code": totp(secret)})["token"])
