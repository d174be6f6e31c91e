"""A small closed-loop load generator for the benchmarks: N concurrent clients on loopback,
bounded by time, reporting throughput and latency percentiles."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

RequestFactory = Callable[[int], tuple[str, str, dict[str, str], bytes]]


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    server_errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> str:
        return (
            f"| {self.name} | {self.throughput:,.0f} req/s | {self.percentile(0.5):.1f} ms | "
            f"{self.percentile(0.99):.1f} ms | {self.requests} | {self.errors} ({self.server_errors} 5xx) |"
        )


TABLE_HEADER = "| target | throughput | p50 | p99 | requests | errors |\n|---|---|---|---|---|---|"


async def run_load(
    name: str,
    base_url: str,
    make_request: RequestFactory,
    *,
    concurrency: int,
    seconds: float,
    warmup: float = 2.0,
) -> LoadResult:
    counter = iter(range(10**9))
    latencies: list[float] = []
    errors = server_errors = 0
    stop_at = time.perf_counter() + warmup + seconds
    measure_from = time.perf_counter() + warmup

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors, server_errors
        while (now := time.perf_counter()) < stop_at:
            method, path, headers, body = make_request(next(counter))
            started = time.perf_counter()
            try:
                response = await http.request(
                    method, base_url + path, headers=headers, content=body
                )
                failed = response.status_code >= 400
                server_failed = response.status_code >= 500
            except httpx.HTTPError:
                failed = server_failed = True
            if now >= measure_from:
                latencies.append((time.perf_counter() - started) * 1000)
                errors += failed
                server_errors += server_failed

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
    return LoadResult(name, len(latencies), errors, server_errors, seconds, latencies)


async def wait_until_up(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            try:
                await http.get(url)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


__all__ = ["TABLE_HEADER", "LoadResult", "run_load", "wait_until_up"]
