"""The bare baseline for the SMS ingest benchmark: the essential work with nothing else.

An ASGI callable that parses Twilio's form, checks X-Twilio-Signature with the official
validator, hashes the phone with a key (HMAC-SHA256, as Groundswell stores voices), inserts
one row with raw asyncpg into a table shaped like Groundswell's inbound_message (unique
MessageSid, indexed voice hash) and answers TwiML. Run under the same uvicorn as
Groundswell, one worker, against the same PostgreSQL server (its own fresh database).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
from twilio.request_validator import RequestValidator

TOKEN = os.environ["TWILIO_AUTH_TOKEN"]
PUBLIC_URL = os.environ["GROUNDSWELL_PUBLIC_URL"]
DATABASE_URL = os.environ["BASELINE_DATABASE_URL"]
validator = RequestValidator(TOKEN)
PHONE_KEY = os.environ.get("GROUNDSWELL_PHONE_KEY", "bench-phone-key-0123456789").encode()
pool: asyncpg.Pool | None = None
TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thank you.</Message></Response>'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The same pool bounds as Groundswell's (groundswell.db).
                pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=10)
                await pool.execute(
                    "CREATE TABLE IF NOT EXISTS inbound (id serial PRIMARY KEY, "
                    "message_sid varchar(64) UNIQUE, voice_hash varchar(64), body text, "
                    "received_at timestamptz NOT NULL DEFAULT now()); "
                    "CREATE INDEX IF NOT EXISTS inbound_voice_hash ON inbound (voice_hash)"
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if pool:
                    await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    params = dict(parse_qsl(body.decode()))
    headers = dict(scope["headers"])
    signature = headers.get(b"x-twilio-signature", b"").decode()
    if not validator.validate(PUBLIC_URL + scope["path"], params, signature):
        await send({"type": "http.response.start", "status": 403, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    assert pool is not None
    # Hash the sender as Groundswell does, so both sides do the same work.
    sender = hmac.new(PHONE_KEY, params["From"].encode(), hashlib.sha256).hexdigest()
    await pool.execute(
        "INSERT INTO inbound (message_sid, voice_hash, body) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        params["MessageSid"],
        sender,
        params["Body"],
    )
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/xml")],
        }
    )
    await send({"type": "http.response.body", "body": TWIML})
