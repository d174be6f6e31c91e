"""The benchmark harness's own pieces (scripts/bench/wrkbench.py), without timing anything:
the precomputed SMS requests are distinct and really Twilio-signed, and the summaries read
what wrk and py-spy write."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
from twilio.request_validator import RequestValidator

from groundswell.core.phones import normalise_phone

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts" / "bench"))

import hello_app
import wrkbench as wb


def test_sms_requests_are_distinct_signed_and_from_valid_mobiles(tmp_path: Path) -> None:
    path = wb.write_sms_requests(tmp_path / "requests.tsv", ["AMINA-7K", "BILAL-3P"], 7, 300)
    validator = RequestValidator(wb.TWILIO_TOKEN)
    sids, phones = set(), set()
    lines = path.read_text().splitlines()
    assert len(lines) == 300
    for line in lines:
        signature, body = line.split("\t")
        params = dict(parse_qsl(body))
        assert validator.validate(wb.SMS_PUBLIC_URL + wb.SMS_PATH, params, signature)
        assert normalise_phone(params["From"]) == params["From"]
        sids.add(params["MessageSid"])
        phones.add(params["From"])
    assert len(sids) == len(phones) == 300
    # A later slice starts where this one ended: no MessageSid is ever sent twice.
    later = wb.write_sms_requests(tmp_path / "later.tsv", ["AMINA-7K"], 307, 5)
    assert not sids & {
        dict(parse_qsl(x.split("\t")[1]))["MessageSid"] for x in later.read_text().splitlines()
    }


def test_profile_summary_reads_collapsed_stacks(tmp_path: Path) -> None:
    collapsed = tmp_path / "profile.txt"
    collapsed.write_text(
        "run (uvicorn/main.py:1);handle_sms (groundswell/vouching/services.py:9);"
        "Connection.fetch (asyncpg/connection.py:717) 30\n"
        "run (uvicorn/main.py:1);handle_sms (groundswell/vouching/services.py:9);"
        "Query.querystrings (piccolo/query/base.py:265) 10\n"
        "Thread.run (threading.py:982);_worker (concurrent/futures/thread.py:81) 500\n"
    )
    summary = "\n".join(wb.summarise_profile(collapsed))
    assert "40 samples" in summary  # the idle thread-pool worker is left out
    assert "asyncpg 75%" in summary and "piccolo 25%" in summary
    assert "100.0%  handle_sms (groundswell/vouching/services.py)" in summary


def test_table_row_reads_a_comparison() -> None:
    def run(target: str, rps: float) -> wb.WrkRun:
        return wb.WrkRun(
            target, 32, 10.0, int(rps * 10), rps, 5.0, 8.0, 20.0, 30.0, 0, 0,
            server_cpu_s=9.0, db_cpu_s=4.0, server_writes=int(rps * 10) * 4,
        )  # fmt: skip

    comparison = wb.Comparison(
        "SMS", "POST /", 32, 0.5, [run("g", 100.0)], [run("b", 400.0)], run("hello", 9000.0)
    )
    assert comparison.ratio == 0.25 and comparison.met is False
    line = wb.table_row(comparison.row())
    assert "| 0.25 (≥ 0.50: MISSED) |" in line and "| 4.0 / 4.0 |" in line


async def test_hello_app_answers_any_request() -> None:
    transport = httpx.ASGITransport(app=hello_app.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hello") as client:
        response = await client.post("/webhooks/twilio/sms", content=b"x" * 10_000)
    assert response.status_code == 200 and b"<Response/>" in response.content
