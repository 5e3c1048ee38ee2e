"""aiosmtpd handler for the tests: every message the service sends is
decoded and appended to a JSON-lines outbox file.

    python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_outbox.Outbox OUTBOX
"""

import email
import email.policy
import json


class Outbox:
    def __init__(self, path):
        self.path = path

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_outbox.Outbox takes one argument: the outbox file")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "body": body.get_content() if body is not None else "",
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 Message accepted for delivery"
