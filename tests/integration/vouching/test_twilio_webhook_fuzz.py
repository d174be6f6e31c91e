"""Property tests for the Twilio SMS webhook's form handling: whatever arrives (missing,
duplicated or unknown fields, odd encodings, huge values, raw bytes, valid or invalid
signatures), the answer is TwiML or a clean 4xx, never an exception or a 5xx."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell.settings import Settings
from groundswell.web.app import create_app
from tests.helpers import WebClient, asgi_client
from tests.integration.vouching.test_twilio_webhook import TOKEN, URL, sign

PATH = "/webhooks/twilio/sms"
KNOWN = ("MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "NumMedia", "FromCountry")
BODY_LIMIT = 64 * 1024

# Function-scoped fixtures (the client, the organiser) are shared by a test's examples on
# purpose: each example is one more message to the same running site.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
values = st.one_of(
    text,
    st.sampled_from(
        [
            "",
            "+447911123456",
            "07911 123456",
            "+44 (0)7911-123-456",
            "AMINA-7K she listens",
            "STOP",
            "WITHDRAW AMINA-7K",
            "YES",
            "-1",
            "99999999999999999999",
            "SM" + "0" * 32,
            "\x00",
            "%ZZ",
            "<Response>&amp;</Response>",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1_000, max_size=3_000),
)
names = st.one_of(st.sampled_from(KNOWN), text)
pairs = st.lists(st.tuples(names, values), max_size=12)


@pytest.fixture
async def twilio_client(settings: Settings) -> AsyncIterator[WebClient]:
    app = create_app(dataclasses.replace(settings, twilio_auth_token=TOKEN), run_scheduler=False)
    async with asgi_client(app) as client:
        yield client


def assert_clean(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code < 300:
        assert response.headers["content-type"].startswith("application/xml")
        root = ET.fromstring(response.text)
        assert root.tag == "Response"
    else:
        assert 400 <= response.status_code < 500, response.status_code


def signed_as_parsed(fields: list[tuple[str, str]]) -> str:
    """The signature Twilio would send for what the server reads: the first value of each name."""
    first: dict[str, str] = {}
    for name, value in fields:
        first.setdefault(name, value)
    return sign(URL, first)


@FUZZ
@given(fields=pairs, signature=st.sampled_from(["valid", "missing", "wrong", "garbage"]))
async def test_any_form_gets_twiml_or_a_clean_4xx(
    twilio_client: WebClient, amina: str, fields: list[tuple[str, str]], signature: str
) -> None:
    headers: dict[str, Any] = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "valid":
        headers["X-Twilio-Signature"] = signed_as_parsed(fields)
    elif signature == "wrong":
        headers["X-Twilio-Signature"] = sign(URL, dict(fields), token="not-our-token")
    elif signature == "garbage":
        headers["X-Twilio-Signature"] = "%%not base64\u00e9".encode()
    body = urlencode(fields).encode()
    response = await twilio_client.post(PATH, content=body, headers=headers)
    assert_clean(response)
    if len(body) > BODY_LIMIT:
        assert response.status_code == 413
    elif signature != "valid":
        assert response.status_code == 403
    else:
        # A message Twilio signed is always answered in TwiML, however odd its fields.
        assert response.status_code == 200, response.text[:300]


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=2_000),
        st.binary(min_size=BODY_LIMIT - 10, max_size=BODY_LIMIT + 10),
        st.lists(
            st.sampled_from(
                [
                    b"MessageSid=",
                    b"From=%2B447911123456",
                    b"&",
                    b"=",
                    b"%",
                    b"%E9",
                    b"\xff",
                    b"Body=AMINA-7K+hi",
                    b";",
                    b"+",
                ]
            ),
            max_size=30,
        ).map(b"".join),
    ),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "text/plain",
            None,
        ]
    ),
    signature=st.one_of(st.none(), st.text(max_size=40)),
)
async def test_raw_bytes_never_break_it(
    twilio_client: WebClient,
    amina: str,
    body: bytes,
    content_type: str | None,
    signature: str | None,
) -> None:
    headers: dict[str, Any] = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if signature is not None:
        headers["X-Twilio-Signature"] = signature.encode("utf-8", "surrogatepass")
    response = await twilio_client.post(PATH, content=body, headers=headers)
    assert_clean(response)


@FUZZ
@given(
    sid=st.one_of(st.none(), st.text(max_size=100)),
    sender=st.one_of(st.none(), values),
    message=st.one_of(st.none(), values),
    num_media=st.one_of(st.none(), values),
    duplicate=st.sampled_from([None, "MessageSid", "From", "Body", "NumMedia"]),
)
async def test_signed_messages_with_missing_or_repeated_fields_get_twiml(
    twilio_client: WebClient,
    amina: str,
    sid: str | None,
    sender: str | None,
    message: str | None,
    num_media: str | None,
    duplicate: str | None,
) -> None:
    fields = [
        (name, value)
        for name, value in (
            ("MessageSid", sid),
            ("From", sender),
            ("Body", message),
            ("NumMedia", num_media),
        )
        if value is not None
    ]
    if duplicate is not None:
        fields.append((duplicate, "AMINA-7K a second value"))
    body = urlencode(fields).encode()
    response = await twilio_client.post(
        PATH,
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signed_as_parsed(fields),
        },
    )
    assert_clean(response)
    assert response.status_code == 200, response.text[:300]


@pytest.mark.parametrize(
    "message",
    [
        "AMINA-7K she listens \x00 to us",
        "AMINA-7K " + "é" * 1_600,
        "AMINA-7K \U0001f600 emoji and \u202e right-to-left",
        "\x00",
    ],
)
async def test_awkward_text_in_a_signed_vouch_gets_twiml(
    twilio_client: WebClient, amina: str, message: str
) -> None:
    fields = [("MessageSid", "SMawkward"), ("From", "+447911123456"), ("Body", message)]
    response = await twilio_client.post(
        PATH,
        content=urlencode(fields).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signed_as_parsed(fields),
        },
    )
    assert_clean(response)
    assert response.status_code == 200, response.text[:300]
