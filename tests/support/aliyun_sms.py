"""A stand-in for Aliyun's SMS endpoint (dysmsapi, SendSms 2017-05-25) for
the tests. It checks each request the way Alibaba's documentation says the
service does (RPC signature 1.0: parameters sorted, RFC 3986 encoding,
"GET&%2F&" + encoded query, HMAC-SHA1 keyed with secret + "&", Base64),
answers in Alibaba's response format with its error codes, and appends every
accepted message to a JSON-lines outbox.

    python3 aliyun_sms.py PORT ACCESS_KEY_ID ACCESS_KEY_SECRET OUTBOX
"""

import base64
import datetime
import hashlib
import hmac
import json
import sys
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, KEY_ID, SECRET, OUTBOX = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
REQUIRED = ["AccessKeyId", "Action", "PhoneNumbers", "SignName", "SignatureMethod", "SignatureNonce",
            "SignatureVersion", "TemplateCode", "Timestamp", "Version"]
# Numbers that make the stand-in answer as Aliyun does when a limit is hit.
LIMITED = {"13900000000"}
seen_nonces = set()


def encode(s):
    return urllib.parse.quote(s, safe="~")


def expected_signature(params):
    query = "&".join(encode(k) + "=" + encode(v) for k, v in sorted(params.items()))
    to_sign = "GET&" + encode("/") + "&" + encode(query)
    digest = hmac.new((SECRET + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, code, message, **extra):
        body = {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message, **extra}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        params = dict(pairs)
        signature = params.pop("Signature", None)
        missing = [p for p in REQUIRED if p not in params]
        if missing:
            return self.answer(400, "MissingParameter", "The input parameter %s is missing." % missing[0])
        if params["AccessKeyId"] != KEY_ID:
            return self.answer(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return self.answer(400, "InvalidParameter", "Signature method or version is not supported.")
        if signature != expected_signature(params):
            return self.answer(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        when = datetime.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900:
            return self.answer(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if params["SignatureNonce"] in seen_nonces:
            return self.answer(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        seen_nonces.add(params["SignatureNonce"])
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return self.answer(400, "InvalidAction.NotFound", "Specified api is not found.")
        phone = params["PhoneNumbers"]
        if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
            return self.answer(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if phone in LIMITED:
            return self.answer(200, "isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10")
        with open(OUTBOX, "a", encoding="utf-8") as out:
            record = {"phone": phone, "sign_name": params["SignName"], "template": params["TemplateCode"],
                      "param": json.loads(params.get("TemplateParam") or "{}")}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return self.answer(200, "OK", "OK", BizId="%d^0" % (900000000 + len(seen_nonces)))


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
