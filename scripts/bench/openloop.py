"""A constant-rate, open-loop sender of precomputed signed SMS webhooks (for ingest.py).

Request i is due at start + i / rate and leaves then, whatever happened to the requests
before it: a slow server cannot slow the offered load down (wrk cannot do this: its
connections wait for an answer before sending again, so it offers less exactly when the
server falls behind; wrk2, which can, is not packaged for Debian). Latency is measured from
each request's due time, so time spent queued in the sender or the server is counted
(no coordinated omission). Run in its own process, pinned to a CPU by the caller; it
reports how late it sent (its own ceiling) and the CPU time it used.

    python openloop.py --url http://127.0.0.1:PORT --requests FILE --rate 500 --seconds 60 \
        --out result.json

FILE holds "<X-Twilio-Signature>\\t<form body>" lines (wrkbench.write_sms_requests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path
from urllib.parse import parse_qs

PATH = "/webhooks/twilio/sms"


async def send_all(
    url: str, lines: list[tuple[str, str]], rate: float, timeout: float, limit: int
) -> dict[str, object]:
    import aiohttp

    total = len(lines)
    status = [0] * total  # 0: no HTTP answer (connection error or timeout)
    latency_ms = [0.0] * total
    late_ms = [0.0] * total
    errors: dict[str, int] = {}
    before = resource.getrusage(resource.RUSAGE_SELF)
    connector = aiohttp.TCPConnector(limit=limit)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as http:

        async def send(i: int, due: float) -> None:
            signature, body = lines[i]
            late_ms[i] = (time.perf_counter() - due) * 1000
            try:
                async with http.post(
                    url + PATH,
                    data=body.encode(),
                    headers={
                        "X-Twilio-Signature": signature,
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                ) as response:
                    await response.read()
                    status[i] = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                name = type(exc).__name__
                errors[name] = errors.get(name, 0) + 1
            latency_ms[i] = (time.perf_counter() - due) * 1000

        tasks = []
        started = time.perf_counter()
        i = 0
        while i < total:
            now = time.perf_counter()
            # Everything due by now leaves now: a late wake-up does not lower the rate.
            while i < total and started + i / rate <= now:
                tasks.append(asyncio.create_task(send(i, started + i / rate)))
                i += 1
            if i < total:
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        sent_in = time.perf_counter() - started
        await asyncio.gather(*tasks)
        finished = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the sending only, not the start-up
    return {
        "requests": total,
        "rate": rate,
        "sent_in_s": sent_in,
        "finished_in_s": finished,
        "status": status,
        "latency_ms": latency_ms,
        "late_ms": late_ms,
        "errors": errors,
        "cpu_s": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", required=True, help="file of signed requests")
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=30, help="per request (s)")
    parser.add_argument("--limit", type=int, default=1000, help="open connections at most")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    count = int(args.rate * args.seconds)
    lines: list[tuple[str, str]] = []
    with open(args.requests) as source:
        for line in source:
            signature, body = line.rstrip("\n").split("\t", 1)
            lines.append((signature, body))
            if len(lines) == count:
                break
    if len(lines) < count:
        raise SystemExit(f"{args.requests} holds {len(lines)} requests; {count} are needed")
    sids = [parse_qs(body)["MessageSid"][0] for _, body in lines]
    work = send_all(args.url, lines, args.rate, args.timeout, args.limit)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(work)
    else:
        result = uvloop.run(work)
    result["sids"] = sids
    Path(args.out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
