"""Load with faults: signed SMS vouches at a fixed rate while a round computes and pays, and
the leading scheduler is killed (SIGKILL) half way through. Then the invariants are checked.

One run, from nothing: a fresh PostgreSQL database; `groundswell migrate`; a seed (a pool
with money and a review window of zero days, onboarded hosts on the offline payments
adapter, organisers whose bursary year has ended, a few verified voices each); web workers
with --no-scheduler and two `groundswell scheduler` processes whose interval jobs run every
few seconds (GROUNDSWELL_JOB_INTERVAL_SECONDS) so that computing, approving and paying the
round all happen inside the load window. The load is open-loop: request i is due at
start + i/rate whatever happened to the others, with distinct phones and MessageSids and a
share of deliberate replays of earlier MessageSids. Prints PASS/FAIL per check; exit 1 on any
FAIL. The database is dropped afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from pgdb import database_url  # noqa: E402

TOKEN = "faults-twilio-token"
PG = os.environ.get(
    "GROUNDSWELL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ACCOUNT_SID = "AC" + "f" * 32
TO_NUMBER = "+447400000001"
WORDS = (
    "fixed the lights on the underpass",
    "got the youth club open on Fridays",
    "sat with my mum after the funeral",
    "started the food share at the church hall",
    "found us a solicitor for the eviction",
    "ran the litter pick every month",
    "got the council to mend the swings",
    "helped my son back into college",
)

FIRST_NAMES = ("Amina", "Bilal", "Carys", "Dmitri", "Efua", "Fergus", "Grace", "Hamza")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ------------------------------------------------------------------------------ the seed


async def seed(organisers: int, voices_each: int) -> dict[str, Any]:
    """Runs inside a child process whose environment points at the run's database."""
    from groundswell import db
    from groundswell.community.codes import generate_code
    from groundswell.community.tables import HostOrganisation, Locality, Organiser
    from groundswell.core.clock import now, today
    from groundswell.funders.tables import Funder, Pool
    from groundswell.ledger import deposits
    from groundswell.payments import services as payments
    from groundswell.payments.offline import OfflineGateway
    from groundswell.settings import load_settings
    from groundswell.vouching.tables import Endorsement, Resident

    settings = load_settings()
    await db.start()
    try:
        locality = (
            await Locality.insert(
                Locality(
                    name="Pallister",
                    ons_ward_code="E05001491",
                    ons_la_code="E06000002",
                    local_authority="Middlesbrough",
                )
            ).returning(Locality.id)
        )[0]["id"]
        funder = (
            await Funder.insert(Funder(name="Drill Foundation", org_id="GB-CHC-1234567")).returning(
                Funder.id
            )
        )[0]["id"]
        # review_days=0: the round is approved by the next run of the approval job, so it
        # is paid inside the load window (pages and the API ask for 1-60 days).
        pool = (
            await Pool.insert(
                Pool(
                    funder=funder,
                    name="Drill pool",
                    cadence="monthly",
                    round_budget=organisers * 1_000_00,
                    review_days=0,
                    floor_amount=100_00,
                    cap_amount=organisers * 250_00,
                )
            ).returning(Pool.id)
        )[0]["id"]
        await deposits.record_deposit(
            None,
            pool,
            deposits.DepositInput(
                amount=organisers * 2_000_00,
                reference="DRILL-BACS-1",
                received_on=today(),
                note="Fault drill deposit",
            ),
        )
        gateway = OfflineGateway(settings)
        hosts = []
        for n in range(max(1, organisers // 4)):
            host = (
                await HostOrganisation.insert(
                    HostOrganisation(
                        name=f"Drill Host {n}",
                        contact_name="Coordinator",
                        contact_email=f"host{n}@drill.example.org",
                    )
                ).returning(HostOrganisation.id)
            )[0]["id"]
            account = await gateway.create_connected_account(
                email="", metadata={"host_id": str(host)}, idempotency_key=f"drill-host-{host}"
            )
            await HostOrganisation.update({HostOrganisation.stripe_account_id: account.id}).where(
                HostOrganisation.id == host
            )
            await gateway.complete_onboarding(account.id)
            await payments.refresh_account(settings, gateway, account.id)
            hosts.append(host)
        codes: list[str] = []
        ended = today() - timedelta(days=10)
        rng = random.Random(organisers)
        for n in range(organisers):
            first = FIRST_NAMES[n % len(FIRST_NAMES)]
            while (code := generate_code(first, rng)) in codes:
                pass
            await Organiser.insert(
                Organiser(
                    name=f"{first} Drill-{n}",
                    code=code,
                    host=hosts[n % len(hosts)],
                    locality=locality,
                    bursary_start=ended - timedelta(days=365),
                    bursary_end=ended,
                )
            )
            codes.append(code)
        ids = {r["code"]: r["id"] for r in await Organiser.select(Organiser.id, Organiser.code)}
        at = now() - timedelta(days=5)
        for n, code in enumerate(codes):
            residents = await Resident.insert(
                *[Resident(voice_hash=f"drill-voice-{n:03d}-{k:03d}") for k in range(voices_each)]
            ).returning(Resident.id)
            await Endorsement.insert(
                *[
                    Endorsement(
                        resident=r["id"],
                        organiser=ids[code],
                        testimony=f"She {WORDS[(n + k) % len(WORDS)]} ({n}/{k}).",
                        channel="sms",
                        verification="sms_inbound",
                        created_at=at,
                        updated_at=at,
                    )
                    for k, r in enumerate(residents)
                ]
            )
    finally:
        await db.stop()
    return {"pool": pool, "codes": codes}


# ------------------------------------------------------------------------------ the load


@dataclass
class Sent:
    sid: str
    replay: bool
    status: int = 0  # 0: no HTTP answer (connection error or timeout)
    latency_ms: float = 0.0
    late_ms: float = 0.0  # how long after its due time it left the generator
    body: str = ""


@dataclass
class Load:
    sent: list[Sent] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    wall_started: datetime = field(default_factory=lambda: datetime.now(UTC))


async def run_load(
    url: str,
    public_url: str,
    codes: list[str],
    rate: float,
    seconds: float,
    replay_share: float,
    client_timeout: float,
) -> Load:
    import aiohttp
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    signed_url = public_url + "/webhooks/twilio/sms"
    rng = random.Random(8)
    total = int(rate * seconds)
    load = Load()
    originals: list[tuple[str, bytes, str]] = []
    tasks = []
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=client_timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def send(record: Sent, body: bytes, signature: str, due: float) -> None:
            record.late_ms = (time.perf_counter() - due) * 1000
            try:
                async with http.post(
                    url + "/webhooks/twilio/sms",
                    data=body,
                    headers={
                        "X-Twilio-Signature": signature,
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                ) as response:
                    record.body = await response.text()
                    record.status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                record.body = f"{type(exc).__name__}: {exc}"
            # From the time it was due, so a slow server cannot hide its queue (open loop).
            record.latency_ms = (time.perf_counter() - due) * 1000

        load.started = time.perf_counter()
        load.wall_started = datetime.now(UTC)
        for i in range(total):
            due = load.started + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if originals and rng.random() < replay_share:
                sid, body, signature = rng.choice(originals[-200:])
                record = Sent(sid, replay=True)
            else:
                n = len(originals)
                params = {
                    "MessageSid": f"SMdrill{os.getpid():06d}{n:020d}",
                    "AccountSid": ACCOUNT_SID,
                    "From": f"+44740{n % 10_000_000:07d}",
                    "To": TO_NUMBER,
                    "Body": f"{codes[n % len(codes)]} she {WORDS[n % len(WORDS)]} ({n})",
                    "NumMedia": "0",
                }
                sid = params["MessageSid"]
                body = urlencode(params).encode()
                signature = validator.compute_signature(signed_url, params)
                originals.append((sid, body, signature))
                record = Sent(sid, replay=False)
            load.sent.append(record)
            tasks.append(asyncio.create_task(send(record, body, signature, due)))
        await asyncio.gather(*tasks)
        load.finished = time.perf_counter()
    return load


# ------------------------------------------------------------------------------ the run


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


class Deployment:
    def __init__(self, env: dict[str, str], run_dir: Path) -> None:
        self.env = env
        self.run_dir = run_dir
        self.web: subprocess.Popen[bytes] | None = None
        self.schedulers: list[subprocess.Popen[bytes]] = []

    def groundswell(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        out = open(self.run_dir / log, "wb")  # noqa: SIM115 - the child writes to it
        # Each in its own process group: uvicorn's worker processes go with their parent.
        return subprocess.Popen(
            [sys.executable, "-m", "groundswell", *args],
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        processes = [*self.schedulers, *([self.web] if self.web else [])]
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            # Whatever is left of the group (workers still draining a backlog) goes now.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


async def wait_for(what: str, probe: Any, timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            value = await probe()
            if value:
                return value
        await asyncio.sleep(every)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")


async def http_ok(url: str) -> bool:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status == 200


async def leader(conn: asyncpg.Connection) -> tuple[str, datetime] | None:
    row = await conn.fetchrow(
        "SELECT holder, last_finished_at FROM scheduler_status WHERE job_id = 'leader'"
    )
    return (row["holder"], row["last_finished_at"]) if row and row["holder"] else None


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200, help="requests per second (200)")
    parser.add_argument("--seconds", type=float, default=60, help="load window (60)")
    parser.add_argument("--workers", type=int, default=2, help="web workers (2)")
    parser.add_argument("--organisers", type=int, default=40)
    parser.add_argument("--replays", type=float, default=0.05, help="share of replayed sids")
    parser.add_argument(
        "--job-interval", type=int, default=0, help="seconds between job runs (default: window/6)"
    )
    parser.add_argument(
        "--client-timeout", type=float, default=60, help="seconds before the generator gives up"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    interval = args.job_interval or max(2, int(args.seconds / 6))
    # The whole run must end within this, or it counts as a hang (a deadlock, say).
    bound = args.seconds + 240

    run_started = time.monotonic()
    name = f"groundswell_faults_{os.getpid()}"
    port = args.port or free_port()
    run_dir = ROOT / ".run" / name
    run_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(PG, name)
    public_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GROUNDSWELL_ENV": "production",
        # Production refuses a guessable secret key: a fresh random one per drill.
        "GROUNDSWELL_SECRET_KEY": secrets.token_urlsafe(48),
        "GROUNDSWELL_PHONE_KEY": "drill-phone-" + "y" * 40,
        # A staging-like drill: no real Stripe, Twilio or SMTP, and every page says so.
        "GROUNDSWELL_SIMULATE": "payments,sms,email",
        "GROUNDSWELL_DATABASE_URL": url,
        "GROUNDSWELL_PUBLIC_URL": public_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "GROUNDSWELL_JOB_INTERVAL_SECONDS": str(interval),
        "GROUNDSWELL_LOG_LEVEL": "INFO",
        "PICCOLO_CONF": "groundswell.piccolo_conf",
    }
    admin = await asyncpg.connect(PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    deployment = Deployment(env, run_dir)
    checks: list[Check] = []
    conn: asyncpg.Connection | None = None
    try:
        print(f"database {name}, port {port}, logs in {run_dir.relative_to(ROOT)}", flush=True)
        subprocess.run(
            [sys.executable, "-m", "groundswell", "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seeded = subprocess.run(
            [sys.executable, __file__, "--seed", str(args.organisers)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        plan = json.loads(seeded.stdout.strip().splitlines()[-1])
        conn = await asyncpg.connect(url)
        deadlocks_before = await conn.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = $1", name
        )
        deployment.web = deployment.groundswell(
            "serve", "--port", str(port), "--workers", str(args.workers), "--no-scheduler",
            log="web.log",
        )  # fmt: skip
        await wait_for("the web workers", lambda: http_ok(public_url + "/health"), 90)
        for n in (1, 2):
            deployment.schedulers.append(
                deployment.groundswell("scheduler", log=f"scheduler-{n}.log")
            )
        first = await wait_for("a leading scheduler", lambda: leader(conn), 60)
        pids = {p.pid for p in deployment.schedulers}
        print(
            f"seeded pool {plan['pool']} with {len(plan['codes'])} organisers; "
            f"{args.workers} web workers, schedulers {sorted(pids)}, leader {first[0]}, "
            f"jobs every {interval} s",
            flush=True,
        )

        killed: dict[str, Any] = {}

        async def kill_leader_midway() -> None:
            await asyncio.sleep(args.seconds / 2)
            holder = await leader(conn)
            assert holder is not None, "no leader to kill"
            pid = int(holder[0].rsplit(":", 1)[1])
            if pid not in pids:
                raise RuntimeError(f"the leader {holder[0]} is not one of our schedulers")
            os.kill(pid, signal.SIGKILL)
            killed.update(pid=pid, at=datetime.now(UTC), monotonic=time.monotonic())
            print(f"t={args.seconds / 2:.0f}s: kill -9 leading scheduler pid {pid}", flush=True)
            survivor = next(p.pid for p in deployment.schedulers if p.pid != pid)
            killed["survivor"] = survivor

            async def standby_leads() -> bool:
                now_leader = await leader(conn)
                return bool(
                    now_leader
                    and now_leader[0].endswith(f":{survivor}")
                    and now_leader[1] > killed["at"]
                )

            with contextlib.suppress(TimeoutError):
                await wait_for("the standby to lead", standby_leads, 60, every=0.2)
                killed["takeover"] = time.monotonic() - killed["monotonic"]

        print(f"load: {args.rate:.0f} req/s for {args.seconds:.0f} s", flush=True)
        killer = asyncio.create_task(kill_leader_midway())
        load = await run_load(
            public_url,
            public_url,
            plan["codes"],
            args.rate,
            args.seconds,
            args.replays,
            args.client_timeout,
        )
        await killer

        # Then the round must be paid within a few job intervals (an allocation interrupted
        # mid-transfer by the kill is resumed after a minute).
        survivor = killed["survivor"]
        takeover: float | None = killed.get("takeover")

        async def round_paid() -> bool:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE a.amount > 0 AND a.state <> 'paid') AS unpaid, "
                "count(*) FILTER (WHERE a.amount > 0) AS funded "
                "FROM allocation a JOIN funding_round r ON r.id = a.round WHERE r.pool = $1",
                plan["pool"],
            )
            return bool(row["funded"]) and row["unpaid"] == 0

        paid_in_time = True
        remaining = bound - (time.monotonic() - run_started)
        try:
            await wait_for("every allocation to be paid", round_paid, max(10, remaining), 1)
        except TimeoutError:
            paid_in_time = False
        # A request the generator gave up on may still be worked on, and the schedulers'
        # `sms_process` job processes stored texts behind the webhook: wait until the server
        # is quiet (nothing new stored for 3 s, nothing waiting) so the counts below are final.
        quiet, last, waiting = 0, -1, 1
        while (quiet < 3 or waiting) and time.monotonic() - run_started < bound:
            count = await conn.fetchval("SELECT count(*) FROM inbound_message")
            waiting = await conn.fetchval(
                "SELECT count(*) FROM inbound_message WHERE processed_at IS NULL"
            )
            quiet = quiet + 1 if count == last else 0
            last = count
            await asyncio.sleep(1)
        elapsed_total = time.monotonic() - run_started

        # ------------------------------------------------------------------ checks
        answered = [s for s in load.sent if s.status]
        accepted = [s for s in answered if 200 <= s.status < 300]
        server_errors = [s for s in load.sent if s.status >= 500]
        no_answer = [s for s in load.sent if not s.status]
        accepted_sids = {s.sid for s in accepted}
        stored = {
            r["message_sid"]: r["n"]
            for r in await conn.fetch(
                "SELECT message_sid, count(*) AS n FROM inbound_message "
                "WHERE message_sid LIKE 'SMdrill%' GROUP BY message_sid"
            )
        }
        missing = accepted_sids - stored.keys()
        twice = [sid for sid, n in stored.items() if n != 1]
        replays_accepted = sum(1 for s in accepted if s.replay)
        checks.append(
            Check(
                "every accepted vouch stored exactly once",
                not missing and not twice and bool(accepted),
                f"{len(accepted)} accepted ({replays_accepted} of them replays) = "
                f"{len(accepted_sids)} distinct MessageSids; {len(accepted_sids & stored.keys())} "
                f"stored, {len(missing)} missing, {len(twice)} stored more than once; "
                f"{len(stored)} stored in all",
            )
        )
        twiml = sum(1 for s in accepted if s.body.lstrip().startswith("<?xml"))
        checks.append(
            Check("every 2xx answer is TwiML", twiml == len(accepted), f"{twiml}/{len(accepted)}")
        )
        endorsements = await conn.fetchval(
            "SELECT count(*) FROM endorsement e JOIN resident r ON r.id = e.resident "
            "WHERE r.voice_hash NOT LIKE 'drill-voice-%'"
        )
        # Every original message comes from its own phone: one voice per stored message.
        checks.append(
            Check(
                "one endorsement per stored message's phone",
                endorsements == len(stored),
                f"{endorsements} endorsements from SMS for {len(stored)} distinct phones",
            )
        )
        rounds = await conn.fetch(
            "SELECT period_start, count(*) AS n FROM funding_round WHERE pool = $1 "
            "GROUP BY period_start",
            plan["pool"],
        )
        checks.append(
            Check(
                "the round for (pool, period) exists exactly once",
                len(rounds) == 1 and rounds[0]["n"] == 1,
                ", ".join(f"{r['period_start']}: {r['n']}" for r in rounds) or "no round",
            )
        )
        lines = await conn.fetch(
            "SELECT a.id, a.state, a.stripe_transfer_id FROM allocation a "
            "JOIN funding_round r ON r.id = a.round WHERE r.pool = $1 AND a.amount > 0",
            plan["pool"],
        )
        transfers = {
            r["allocation_id"]: r["n"]
            for r in await conn.fetch(
                "SELECT data->'metadata'->>'allocation_id' AS allocation_id, count(*) AS n "
                "FROM simulated_stripe_object WHERE kind = 'transfer' GROUP BY 1"
            )
        }
        payouts = {
            r["reference"]: r["n"]
            for r in await conn.fetch(
                "SELECT reference, count(*) AS n FROM ledger_transaction "
                "WHERE reference LIKE 'allocation:%' GROUP BY reference"
            )
        }
        duplicate_refs = await conn.fetchval(
            "SELECT count(*) FROM (SELECT reference FROM ledger_transaction "
            "GROUP BY reference HAVING count(*) > 1) d"
        )
        bad = [
            line["id"]
            for line in lines
            if line["state"] != "paid"
            or not line["stripe_transfer_id"]
            or transfers.get(str(line["id"])) != 1
            or payouts.get(f"allocation:{line['id']}:transfer") != 1
            or payouts.get(f"allocation:{line['id']}:paid") != 1
        ]
        checks.append(
            Check(
                "every allocation paid exactly once",
                bool(lines) and not bad and duplicate_refs == 0 and paid_in_time,
                f"{len(lines)} funded allocations, {len(lines) - len(bad)} paid with one "
                f"transfer and one transfer+paid ledger pair; {duplicate_refs} duplicate ledger "
                f"references; {sum(transfers.values())} transfers in all"
                + ("" if paid_in_time else "; NOT all paid within the bound"),
            )
        )
        ledger = subprocess.run(
            [sys.executable, "-m", "groundswell", "ledger", "check"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        checks.append(
            Check(
                "groundswell ledger check exits 0",
                ledger.returncode == 0,
                (ledger.stdout + ledger.stderr).strip().splitlines()[-1:][0]
                if (ledger.stdout + ledger.stderr).strip()
                else f"exit {ledger.returncode}",
            )
        )
        checks.append(
            Check(
                "zero 5xx",
                not server_errors,
                f"{len(server_errors)} 5xx, {len(no_answer)} without an HTTP answer"
                + (f" (first: {no_answer[0].body[:120]})" if no_answer else ""),
            )
        )
        deadlocks = (
            await conn.fetchval("SELECT deadlocks FROM pg_stat_database WHERE datname = $1", name)
            - deadlocks_before
        )
        logged = [
            f"{path.name}: {line.strip()[:160]}"
            for path in sorted(run_dir.glob("*.log"))
            for line in path.read_text(errors="replace").splitlines()
            if "deadlock" in line.lower()
        ]
        checks.append(
            Check(
                "no deadlock, run within its bound",
                deadlocks == 0 and not logged and elapsed_total <= bound,
                f"pg_stat_database.deadlocks +{deadlocks}; {len(logged)} log lines mention one; "
                f"run took {elapsed_total:.0f} s (bound {bound:.0f} s)",
            )
        )
        after_kill = await conn.fetchval(
            "SELECT count(*) FROM scheduler_status WHERE job_id <> 'leader' AND holder LIKE $1 "
            "AND last_finished_at > $2",
            f"%:{survivor}",
            killed["at"],
        )
        checks.append(
            Check(
                "the standby scheduler took over",
                takeover is not None and after_kill > 0,
                f"pid {survivor} led {takeover:.1f} s after the kill and has finished "
                f"{after_kill} job(s) since"
                if takeover is not None
                else f"pid {survivor} never led",
            )
        )
        job_rows = await conn.fetch(
            "SELECT job_id, holder, last_message FROM scheduler_status "
            "WHERE job_id IN ('rounds.compute', 'rounds.approve', 'payments.pay') ORDER BY job_id"
        )
        errors_logged = [
            f"{path.name}: {line.strip()[:200]}"
            for path in sorted(run_dir.glob("*.log"))
            for line in path.read_text(errors="replace").splitlines()
            if " ERROR " in line or "Traceback" in line
        ]

        # ------------------------------------------------------------------ report
        window = load.finished - load.started
        latencies = [s.latency_ms for s in answered]
        lateness = [s.late_ms for s in load.sent]
        print()
        print(
            f"machine: {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
            f"shared with other work; load generator, PostgreSQL, {args.workers} web workers "
            "and 2 schedulers all on it"
        )
        print(
            f"load: target {args.rate:.0f} req/s x {args.seconds:.0f} s = {len(load.sent)} "
            f"requests ({sum(s.replay for s in load.sent)} replays); answered {len(answered)} in "
            f"{window:.1f} s = {len(answered) / window:.1f} req/s achieved "
            f"({len(accepted)} 2xx)"
        )
        print(
            f"latency from each request's due time (open loop): p50 {percentile(latencies, 0.5):.0f} ms, "
            f"p99 {percentile(latencies, 0.99):.0f} ms, max {max(latencies, default=0):.0f} ms; "
            f"generator lateness p99 {percentile(lateness, 0.99):.0f} ms"
        )
        timeline = await conn.fetchrow(
            "SELECT r.computed_at, r.approved_at, min(a.paid_at) AS first_paid, "
            "max(a.paid_at) AS last_paid FROM funding_round r LEFT JOIN allocation a "
            "ON a.round = r.id AND a.amount > 0 WHERE r.pool = $1 "
            "GROUP BY r.computed_at, r.approved_at",
            plan["pool"],
        )
        if timeline:

            def at(moment: datetime | None) -> str:
                if moment is None:
                    return "never"
                return f"t={(moment - load.wall_started).total_seconds():+.1f}s"

            print(
                f"timeline (t=0 load start, load ends t={window:.0f}s, leader killed "
                f"{at(killed['at'])}): round computed {at(timeline['computed_at'])}, approved "
                f"{at(timeline['approved_at'])}, first payout {at(timeline['first_paid'])}, "
                f"last payout {at(timeline['last_paid'])}"
            )
        for row in job_rows:
            print(f"job {row['job_id']}: last by {row['holder']}: {row['last_message']}")
        if errors_logged:
            print(f"{len(errors_logged)} ERROR/Traceback log lines, first: {errors_logged[0]}")
        print()
        for check in checks:
            print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        return 0 if all(c.ok for c in checks) else 1
    finally:
        deployment.stop()
        if conn is not None:
            await conn.close()
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--seed":
        print(json.dumps(asyncio.run(seed(int(sys.argv[2]), voices_each=6))))
        raise SystemExit(0)
    raise SystemExit(asyncio.run(main()))
