"""What the throughput benchmarks share: wrk as the load, servers pinned to a CPU, CPU time
accounted per process, fresh PostgreSQL databases, and the generator-ceiling check.

The layout on a machine with two or more CPUs (``--no-pin`` turns it off):

- wrk runs on CPU 0 (``taskset -c 0``), one thread;
- the server under load runs on CPU 1 (``taskset -c 1``), one uvicorn worker; Groundswell,
  its bare baseline and the ceiling's hello app all get the same CPU, one at a time under load;
- PostgreSQL is the machine's shared server and is not pinned: its backends land mostly on
  CPU 0 beside wrk, which needs little of it.

Each measured run records the CPU seconds used by wrk (from wait4), by the server process and
by the PostgreSQL backends serving the run's database (both from /proc/<pid>/stat), so a
report can say who was busy: a server at ~100% of its CPU with wrk at a few percent of its
own is a server-bound measurement.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "scripts" / "bench"
LUA = BENCH / "lua"
PYTHON = sys.executable
PG = os.environ.get(
    "GROUNDSWELL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Twilio signs the public URL it calls. Every SMS server in a bench is told this one, so a
# single file of signed requests serves Groundswell, the baseline and the hello app alike.
SMS_PUBLIC_URL = "http://sms.bench.invalid"
SMS_PATH = "/webhooks/twilio/sms"
TWILIO_TOKEN = "bench-twilio-token"
ACCOUNT_SID = "AC" + "0" * 32
TO_NUMBER = "+447400000001"
SMS_WORDS = (
    "she got the lights fixed on the underpass",
    "he opened the youth club on Fridays",
    "she sat with my mum after the funeral",
    "they started the food share at the church hall",
    "she found us a solicitor for the eviction",
    "he runs the litter pick every month",
)


# ------------------------------------------------------------------------------ machine


def loadavg() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def loadavg_text() -> str:
    one, five, fifteen = loadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def busiest_processes(exclude: Sequence[int] = (), count: int = 3) -> list[str]:
    """What else is on the CPUs (``ps``), so a report can say whose load it was."""
    output = subprocess.run(
        ["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu", "--no-headers"],
        capture_output=True,
        text=True,
    ).stdout
    rows = []
    for line in output.splitlines():
        pid, pcpu, comm = line.split(None, 2)
        if int(pid) in exclude or float(pcpu) < 5:
            continue
        rows.append(f"{comm} {pcpu}%")
    return rows[:count]


@dataclass(frozen=True)
class Pinning:
    """Which CPU wrk and the server under load get (None: not pinned)."""

    generator: int | None
    server: int | None

    @classmethod
    def choose(cls, pin: bool) -> Pinning:
        if pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
            return cls(generator=0, server=1)
        return cls(generator=None, server=None)

    def wrap(self, command: list[str], cpu: int | None) -> list[str]:
        return ["taskset", "-c", str(cpu), *command] if cpu is not None else command

    def describe(self) -> str:
        if self.server is None:
            return "not pinned"
        return (
            f"wrk on CPU {self.generator}, server under load on CPU {self.server} (taskset); "
            "PostgreSQL not pinned"
        )


def require_wrk() -> str:
    path = shutil.which("wrk")
    if not path:
        raise SystemExit(
            "wrk is not installed: `apt-get install -y wrk` (scripts/bench/* install it)."
        )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------ CPU time


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process (all its threads), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _backend_pids(database: str) -> list[int]:
    out = subprocess.run(
        [PYTHON, "-c", _BACKENDS, PG, database], capture_output=True, text=True, check=False
    ).stdout
    return [int(pid) for pid in out.split()]


_BACKENDS = """
import asyncio, sys, asyncpg
async def main():
    c = await asyncpg.connect(sys.argv[1])
    try:
        rows = await c.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", sys.argv[2])
    finally:
        await c.close()
    print(" ".join(str(r["pid"]) for r in rows))
asyncio.run(main())
"""


def process_write_calls(pid: int) -> int | None:
    """How many write syscalls a process has made (/proc/<pid>/io syscw), or None.

    Per request this counts the answer plus one per PostgreSQL round trip (asyncpg sends a
    statement's parse/bind/execute/sync, or a pool's reset query, in one write): a cheap
    count of round trips per request that a busy machine does not blur."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("syscw:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class CpuMeter:
    """CPU seconds used between start() and stop() by given processes and by the PostgreSQL
    backends of one database (backends that appear during the run count from zero), and the
    processes' write syscalls."""

    def __init__(self, pids: Sequence[int], database: str | None) -> None:
        self.pids = list(pids)
        self.database = database
        self.before: dict[int, float] = {}
        self.db_before: dict[int, float] = {}
        self.writes_before: dict[int, int | None] = {}
        self.writes: int | None = None

    def start(self) -> None:
        self.writes_before = {pid: process_write_calls(pid) for pid in self.pids}
        self.before = {pid: process_cpu_seconds(pid) or 0.0 for pid in self.pids}
        if self.database:
            self.db_before = {
                pid: cpu
                for pid in _backend_pids(self.database)
                if (cpu := process_cpu_seconds(pid)) is not None
            }

    def stop(self) -> tuple[float, float | None]:
        """(the processes' CPU seconds, the database backends' CPU seconds or None)."""
        used = sum((process_cpu_seconds(pid) or 0.0) - self.before[pid] for pid in self.pids)
        total = 0
        for pid in self.pids:
            after, before = process_write_calls(pid), self.writes_before[pid]
            if after is None or before is None:
                break
            total += after - before
        else:
            self.writes = total if self.pids else None
        if not self.database:
            return used, None
        db = 0.0
        for pid in _backend_pids(self.database):
            cpu = process_cpu_seconds(pid)
            if cpu is not None:
                db += cpu - self.db_before.get(pid, 0.0)
        return used, db


# ------------------------------------------------------------------------------ servers


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def start_server(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    logs: Path,
    pinning: Pinning,
    *,
    pin: bool = True,
) -> Server:
    """Start a server (taskset execs, so the pid is the server's own) in its own session."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinning.wrap(command, pinning.server if pin else None),
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, f"http://127.0.0.1:{port}", process, log)


def uvicorn_command(app: str, port: int) -> list[str]:
    """One uvicorn worker, the same options as `groundswell serve` (uvloop and httptools
    when installed, no access log)."""
    return [
        PYTHON, "-m", "uvicorn", app, "--app-dir", str(BENCH), "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


def stop_servers(servers: Sequence[Server]) -> None:
    for server in servers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGTERM)
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=5)


def wait_until_up(server: Server, path: str, timeout: float = 90) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.url + path, timeout=2).status_code < 500:
                return
        if server.process.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"{server.name} did not come up at {server.url}{path}:\n" + tail(server.log))


def tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


# ------------------------------------------------------------------------------ databases


def database_url(server_url: str, database: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path="/" + database))


def _pgdb(action: str, name: str, *, check: bool = True) -> None:
    subprocess.run([PYTHON, str(ROOT / "scripts" / "pgdb.py"), action, PG, name], check=check)


@contextlib.contextmanager
def fresh_databases(*names: str, keep: bool = False) -> Iterator[dict[str, str]]:
    """Create each database (fresh), yield their URLs, drop them afterwards (unless keep)."""
    made = []
    try:
        for name in names:
            _pgdb("drop", name)
            _pgdb("create", name)
            made.append(name)
        yield {name: database_url(PG, name) for name in names}
    finally:
        if not keep:
            for name in made:
                _pgdb("drop", name, check=False)


# ------------------------------------------------------------------------------ requests


def write_sms_requests(
    path: Path, codes: Sequence[str], start: int, count: int, *, token: str = TWILIO_TOKEN
) -> Path:
    """Write `count` distinct, correctly signed Twilio inbound-SMS requests, numbered from
    `start` (fresh MessageSid and fresh phone each), as "<signature>\\t<body>" lines.

    X-Twilio-Signature is base64(HMAC-SHA1(auth token, URL + each name and value, sorted by
    name)); it is computed here directly (a few times faster) and checked against the official
    validator's for the first request of the file."""
    from twilio.request_validator import RequestValidator

    url = SMS_PUBLIC_URL + SMS_PATH
    key = token.encode()
    with path.open("w") as out:
        for n in range(start, start + count):
            params = {
                "MessageSid": f"SMbench{n:026d}",
                "AccountSid": ACCOUNT_SID,
                # +4474 and eight digits: a valid GB mobile for every n below 10**8.
                "From": f"+4474{n % 100_000_000:08d}",
                "To": TO_NUMBER,
                "Body": f"{codes[n % len(codes)]} {SMS_WORDS[n % len(SMS_WORDS)]} ({n})",
                "NumMedia": "0",
            }
            signed = url + "".join(name + params[name] for name in sorted(params))
            digest = hmac.new(key, signed.encode(), hashlib.sha1).digest()
            signature = base64.b64encode(digest).decode()
            if n == start:
                official = RequestValidator(token).compute_signature(url, params)
                assert signature == official, (signature, official)
            out.write(f"{signature}\t{urlencode(params)}\n")
    return path


# ------------------------------------------------------------------------------ wrk


@dataclass
class WrkRun:
    """One wrk run, with the CPU seconds used while it ran."""

    target: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    distinct: int = 0
    wrapped: int = 0
    wrk_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    db_cpu_s: float | None = None
    server_writes: int | None = None
    loadavg: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.requests > 0 and not self.wrapped

    def cpu_share(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds / self.seconds

    def cpu_ms_per_request(self, seconds: float | None) -> float | None:
        return None if seconds is None or not self.requests else 1000 * seconds / self.requests

    @property
    def writes_per_request(self) -> float | None:
        if self.server_writes is None or not self.requests:
            return None
        return self.server_writes / self.requests

    def line(self) -> str:
        def share(seconds: float | None) -> str:
            value = self.cpu_share(seconds)
            return "—" if value is None else f"{value:.0%}"

        def per(seconds: float | None) -> str:
            value = self.cpu_ms_per_request(seconds)
            return "—" if value is None else f"{value:.2f}"

        flags = []
        if self.non_2xx:
            flags.append(f"{self.non_2xx} non-2xx/3xx")
        if self.socket_errors:
            flags.append(f"{self.socket_errors} socket errors")
        if self.wrapped:
            flags.append(f"REQUESTS RAN OUT ({self.wrapped}x): replays, not valid")
        return (
            f"| {self.target} | {self.rps:,.0f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} "
            f"| {self.requests:,} | {share(self.server_cpu_s)} ({per(self.server_cpu_s)} ms/req) "
            f"| {share(self.db_cpu_s)} ({per(self.db_cpu_s)} ms/req) "
            f"| {share(self.wrk_cpu_s)} ({per(self.wrk_cpu_s)} ms/req) "
            f"| {'—' if self.writes_per_request is None else f'{self.writes_per_request:.1f}'} "
            f"| {self.loadavg} "
            f"| {'; '.join(flags) or 'ok'} |"
        )

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["valid"] = self.valid
        return data


RUN_HEADER = (
    "| run | req/s | p50 ms | p99 ms | requests | server CPU | PostgreSQL CPU (its db) "
    "| wrk CPU | server writes/req | load avg 1/5/15 min | notes |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
)


def run_wrk(
    target: str,
    url: str,
    *,
    connections: int,
    seconds: float,
    pinning: Pinning,
    script: str = "report.lua",
    script_args: Sequence[str] = (),
    headers: Sequence[str] = (),
    server_pid: int | None = None,
    database: str | None = None,
    timeout_s: int = 30,
) -> WrkRun:
    """Run wrk (one thread) against `url` and account the CPU of wrk, the server and the
    database while it ran."""
    wrk = require_wrk()
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    command += [f"--timeout={timeout_s}s", "-s", str(LUA / script)]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    meter = CpuMeter([server_pid] if server_pid else [], database)
    meter.start()
    process = subprocess.Popen(
        pinning.wrap(command, pinning.generator),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # wait4 gives the child's own CPU time (taskset has exec'd into wrk: same pid). wrk
    # writes a few lines to each stream, so reading one after the other cannot block.
    assert process.stdout is not None and process.stderr is not None
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    server_cpu, db_cpu = meter.stop()
    text = stdout.decode(errors="replace")
    if process.returncode != 0 or "WRK_JSON" not in text:
        raise SystemExit(
            f"wrk failed ({process.returncode}): {' '.join(command)}\n{text}\n"
            f"{stderr.decode(errors='replace')}"
        )
    data = json.loads(text.split("WRK_JSON", 1)[1].strip().splitlines()[0])
    duration = data["duration_us"] / 1e6
    return WrkRun(
        target=target,
        connections=connections,
        seconds=duration,
        requests=data["requests"],
        rps=data["requests"] / duration if duration else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        non_2xx=data["non_2xx_3xx"],
        socket_errors=data["connect_errors"]
        + data["read_errors"]
        + data["write_errors"]
        + data["timeouts"],
        distinct=data["distinct"],
        wrapped=data["wrapped"],
        wrk_cpu_s=usage.ru_utime + usage.ru_stime,
        server_cpu_s=server_cpu if server_pid else None,
        server_writes=meter.writes if server_pid else None,
        db_cpu_s=db_cpu,
        loadavg=loadavg_text(),
    )


# ------------------------------------------------------------------------------ results


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass
class Comparison:
    """Groundswell beside its baseline, each measured `repeat` times (alternating order),
    and the generator's ceiling for the same script and concurrency."""

    benchmark: str
    path: str
    connections: int
    target_ratio: float | None
    groundswell: list[WrkRun]
    baseline: list[WrkRun]
    ceiling: WrkRun | None
    note: str = ""

    @staticmethod
    def _summary(runs: list[WrkRun]) -> dict[str, float]:
        good = [r for r in runs if r.valid] or runs

        def per_request(values: list[float | None]) -> float:
            known = [v for v in values if v is not None]
            return median(known) if known else float("nan")

        return {
            "server_cpu_ms": per_request([r.cpu_ms_per_request(r.server_cpu_s) for r in good]),
            "db_cpu_ms": per_request([r.cpu_ms_per_request(r.db_cpu_s) for r in good]),
            "writes": per_request([r.writes_per_request for r in good]),
            "rps": median([r.rps for r in good]),
            "rps_min": min(r.rps for r in good),
            "rps_max": max(r.rps for r in good),
            "p50_ms": median([r.p50_ms for r in good]),
            "p99_ms": median([r.p99_ms for r in good]),
        }

    @property
    def ratio(self) -> float:
        base = self._summary(self.baseline)["rps"]
        return self._summary(self.groundswell)["rps"] / base if base else 0.0

    @property
    def pair_ratios(self) -> list[float]:
        return [g.rps / b.rps for g, b in zip(self.groundswell, self.baseline, strict=False)]

    @property
    def problems(self) -> list[str]:
        problems = []
        for run in [*self.groundswell, *self.baseline]:
            if run.non_2xx or run.socket_errors:
                problems.append(
                    f"{run.target}: {run.non_2xx} non-2xx, {run.socket_errors} socket errors"
                )
            if run.wrapped:
                problems.append(f"{run.target}: ran out of distinct requests")
        return problems

    @property
    def met(self) -> bool | None:
        if self.target_ratio is None:
            return None
        return self.ratio >= self.target_ratio and not self.problems

    def ceiling_text(self) -> str:
        if self.ceiling is None:
            return "—"
        c = self.ceiling
        per_cpu_s = c.requests / c.wrk_cpu_s if c.wrk_cpu_s else float("inf")
        return (
            f"hello {c.rps:,.0f} req/s (wrk {c.cpu_share(c.wrk_cpu_s):.0%} of a CPU; "
            f"≈{per_cpu_s:,.0f} req per wrk CPU-second)"
        )

    def row(self) -> dict[str, object]:
        gs, base = self._summary(self.groundswell), self._summary(self.baseline)
        return {
            "benchmark": self.benchmark,
            "path": self.path,
            "connections": self.connections,
            "groundswell_rps": gs["rps"],
            "groundswell_rps_range": [gs["rps_min"], gs["rps_max"]],
            "baseline_rps": base["rps"],
            "baseline_rps_range": [base["rps_min"], base["rps_max"]],
            "ratio": self.ratio,
            "pair_ratios": self.pair_ratios,
            "target_ratio": self.target_ratio,
            "met": self.met,
            "groundswell_p50_p99_ms": [gs["p50_ms"], gs["p99_ms"]],
            "baseline_p50_p99_ms": [base["p50_ms"], base["p99_ms"]],
            # CPU per request holds up better than req/s on a busy machine.
            "groundswell_cpu_ms": [gs["server_cpu_ms"], gs["db_cpu_ms"]],
            "baseline_cpu_ms": [base["server_cpu_ms"], base["db_cpu_ms"]],
            # Write syscalls per request: the answer plus one per PostgreSQL round trip.
            "writes_per_request": [gs["writes"], base["writes"]],
            "ceiling": self.ceiling.as_dict() if self.ceiling else None,
            "ceiling_text": self.ceiling_text(),
            "problems": self.problems,
            "note": self.note,
            "runs": {
                "groundswell": [r.as_dict() for r in self.groundswell],
                "baseline": [r.as_dict() for r in self.baseline],
            },
        }


TABLE_HEADER = (
    "| benchmark | Groundswell req/s | baseline req/s | ratio (target) "
    "| p50 / p99 ms, Groundswell | p50 / p99 ms, baseline "
    "| CPU ms per request, server + PostgreSQL: Groundswell / baseline "
    "| server writes per request (answer + PostgreSQL round trips): Groundswell / baseline "
    "| generator ceiling (same wrk script) |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---|"
)


def table_row(row: dict[str, Any]) -> str:
    """One README table row from Comparison.row() (or any dict of the same shape)."""

    def rps(value: float, spread: tuple[float, float]) -> str:
        low, high = spread
        text = f"{value:,.0f}"
        return text if round(low) == round(high) else f"{text} ({low:,.0f}–{high:,.0f})"

    target = row.get("target_ratio")
    met = row.get("met")
    verdict = "" if target is None else f" (≥ {target:.2f}: {'met' if met else 'MISSED'})"
    gp50, gp99 = row["groundswell_p50_p99_ms"]
    bp50, bp99 = row["baseline_p50_p99_ms"]
    g_cpu, g_db = row.get("groundswell_cpu_ms") or (float("nan"), float("nan"))
    b_cpu, b_db = row.get("baseline_cpu_ms") or (float("nan"), float("nan"))
    g_writes, b_writes = row.get("writes_per_request") or (float("nan"), float("nan"))
    return (
        f"| {row['benchmark']} | {rps(row['groundswell_rps'], row['groundswell_rps_range'])} "
        f"| {rps(row['baseline_rps'], row['baseline_rps_range'])} "
        f"| {row['ratio']:.2f}{verdict} | {gp50:.0f} / {gp99:.0f} | {bp50:.0f} / {bp99:.0f} "
        f"| {g_cpu:.2f} + {g_db:.2f} / {b_cpu:.2f} + {b_db:.2f} "
        f"| {g_writes:.1f} / {b_writes:.1f} | {row['ceiling_text']} |"
    )


def run_pairs(
    *,
    groundswell: tuple[str, str, int],
    baseline: tuple[str, str, int],
    repeat: int,
    measure: object,
) -> tuple[list[WrkRun], list[WrkRun]]:
    """Measure both servers `repeat` times, alternating which goes first (B G, G B, ...),
    so a drift in the machine's load falls on both. `measure(name, url, pid, i)` runs one."""
    ours: list[WrkRun] = []
    theirs: list[WrkRun] = []
    for i in range(repeat):
        order = [("baseline", baseline), ("groundswell", groundswell)]
        if i % 2:
            order.reverse()
        for side, (name, url, pid) in order:
            run = measure(name, url, pid, i)  # type: ignore[operator]
            (ours if side == "groundswell" else theirs).append(run)
            print(run.line(), flush=True)
    return ours, theirs


def run_dir(name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = ROOT / ".run" / f"bench-{name}-{stamp}-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_summary(path: str | None, rows: list[dict[str, object]]) -> None:
    if path:
        Path(path).write_text(json.dumps(rows, indent=1, default=str))


# ------------------------------------------------------------------------------ profiling

PROFILE_PACKAGES = (
    ("piccolo", "(piccolo/"),
    ("litestar", "(litestar/"),
    ("jinja2", "(jinja2/"),
    ("templates", ".html:"),
    ("asyncpg", "(asyncpg/"),
    ("uvicorn", "(uvicorn/"),
    ("twilio", "(twilio/"),
    ("phonenumbers", "(phonenumbers/"),
    ("msgspec", "(msgspec/"),
    ("asyncio", "(asyncio/"),
    ("groundswell", "(groundswell/"),
)


def start_profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy (dev extra) sampling a server for `seconds`, collapsed stacks into `out`. It
    pauses the process for each sample (250 a second): that run is slower and not counted."""
    spy = shutil.which("py-spy") or str(Path(PYTHON).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed (pip install py-spy): no profile", file=sys.stderr)
        return None
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
         "--rate", "250", "--format", "raw", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip


# Threads waiting for work that py-spy still counts as busy.
IDLE_LEAVES = ("_worker (concurrent/futures/thread.py:81)", "Condition.wait (threading.py:327)")


def summarise_profile(collapsed: Path, top: int = 12) -> list[str]:
    """Where the samples went: each package's share of stacks it appears in (inclusive) and
    of the frames running (self), then the functions most often running."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    leaves: dict[str, int] = {}
    ours: dict[str, int] = {}  # Groundswell's own functions, inclusive
    total = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if frames[-1] in IDLE_LEAVES:
            continue
        total += count
        seen = {name for name, marker in PROFILE_PACKAGES for f in frames if marker in f}
        for name in seen:
            inclusive[name] = inclusive.get(name, 0) + count
        for function in {
            f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0] + ")"
            for f in frames
            if "(groundswell/" in f
        }:
            ours[function] = ours.get(function, 0) + count
        leaf = frames[-1]
        leaf_package = next((n for n, marker in PROFILE_PACKAGES if marker in leaf), "other")
        own[leaf_package] = own.get(leaf_package, 0) + count
        leaves[leaf] = leaves.get(leaf, 0) + count
    if not total:
        return ["no samples"]
    lines = [f"{total:,} samples of busy stacks"]
    lines.append(
        "in the stack (inclusive): "
        + ", ".join(
            f"{name} {n / total:.0%}" for name, n in sorted(inclusive.items(), key=lambda i: -i[1])
        )
    )
    lines.append(
        "running (self): "
        + ", ".join(
            f"{name} {n / total:.0%}" for name, n in sorted(own.items(), key=lambda i: -i[1])
        )
    )
    lines.append("Groundswell's functions (inclusive):")
    for function, n in sorted(ours.items(), key=lambda i: -i[1])[:top]:
        lines.append(f"  {n / total:5.1%}  {function[:150]}")
    lines.append("most often running (self):")
    for leaf, n in sorted(leaves.items(), key=lambda i: -i[1])[:top]:
        lines.append(f"  {n / total:5.1%}  {leaf[:150]}")
    return lines
