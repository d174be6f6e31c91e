"""Log lines a collector can read (GROUNDSWELL_LOG_FORMAT=json) and the request id."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest

from groundswell.core.logs import REQUEST_ID, adopt_request_id, configure_logging


@pytest.fixture
def json_lines() -> io.StringIO:
    buffer = io.StringIO()
    configure_logging("INFO", "json", stream=buffer)
    yield buffer
    configure_logging("INFO", "text")


def read_lines(buffer: io.StringIO) -> list[dict[str, object]]:
    for _ in range(100):  # written by the listener thread
        if buffer.getvalue().endswith("\n"):
            break
        time.sleep(0.01)
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_json_line_carries_the_request_id_extra_fields_and_the_traceback(
    json_lines: io.StringIO,
) -> None:
    token = REQUEST_ID.set("req-0123456789")
    try:
        try:
            raise ValueError("the detail")
        except ValueError:
            logging.getLogger("groundswell.test").exception(
                "paying %s failed", "round 4", extra={"round_id": 4}
            )
    finally:
        REQUEST_ID.reset(token)
    (line,) = read_lines(json_lines)
    assert line["message"] == "paying round 4 failed"
    assert line["level"] == "ERROR" and line["logger"] == "groundswell.test"
    assert line["request_id"] == "req-0123456789" and line["round_id"] == 4
    assert "ValueError: the detail" in str(line["exception"])
    assert str(line["time"]).endswith("+00:00")


def test_a_message_with_newlines_stays_one_json_line(json_lines: io.StringIO) -> None:
    logging.getLogger("groundswell.test").warning('forged\n{"level": "INFO"}')
    lines = read_lines(json_lines)
    assert len(lines) == 1 and lines[0]["request_id"] == "-"


@pytest.mark.parametrize(
    ("offered", "kept"),
    [
        ("3f2b9c1e-proxy-id", True),
        ("abc", False),  # too short to be anyone's id
        ("x" * 65, False),
        ("fine-id\nINFO forged line", False),
        ("", False),
        (None, False),
    ],
)
def test_a_proxys_request_id_is_kept_only_when_it_is_plainly_an_id(
    offered: str | None, kept: bool
) -> None:
    adopted = adopt_request_id(offered)
    assert (adopted == offered) is kept
    assert 8 <= len(adopted) <= 64 and "\n" not in adopted
