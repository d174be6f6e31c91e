from datetime import timedelta

from groundswell.core.clock import frozen_at, now
from groundswell.core.phones import phone_hash
from groundswell.core.principal import Role
from groundswell.outbox.adapters import DeliveryError, Sent
from groundswell.outbox.services import MAX_ATTEMPTS, drain, enqueue_email, enqueue_sms
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from groundswell.vouching.tables import Resident
from tests.helpers import WebClient, make_user

NUMBER = "+447911123456"


class RecordingSender:
    name = "recording"

    def __init__(self, fail: int = 0, permanent: bool = False) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail, self.permanent = fail, permanent

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent:
        if self.fail:
            self.fail -= 1
            raise DeliveryError("provider down", permanent=self.permanent)
        self.sent.append((to_e164, body))
        return Sent(provider_id=f"SM{len(self.sent)}")

    async def send_email(
        self, to: str, subject: str, body: str, *, dedupe_key: str, message_id: str
    ) -> Sent:
        self.sent.append((to, subject))
        return Sent(provider_id=message_id)


async def test_queued_once_sent_once_and_number_erased(settings: Settings) -> None:
    assert await enqueue_sms(
        settings,
        to_e164=NUMBER,
        body="Your code is 123456",
        purpose="verification_code",
        dedupe_key="v:1",
    )
    assert not await enqueue_sms(
        settings,
        to_e164=NUMBER,
        body="Your code is 123456",
        purpose="verification_code",
        dedupe_key="v:1",
    )
    stored = await OutboxMessage.select().first()
    assert (
        stored is not None
        and NUMBER not in str(stored)
        and stored["recipient_hash"] == phone_hash(NUMBER, settings.phone_key)
    )
    sender = RecordingSender()
    assert (await drain(settings, sms=sender, email=sender)).startswith("1 sent")
    assert sender.sent == [(NUMBER, "Your code is 123456")]
    assert (await drain(settings, sms=sender, email=sender)).startswith("0 sent")
    row = await OutboxMessage.select().first()
    assert row["status"] == "sent" and row["recipient_encrypted"] is None  # type: ignore[index]


async def test_retries_with_backoff_then_gives_up(settings: Settings) -> None:
    await enqueue_sms(
        settings,
        to_e164=NUMBER,
        body="hello",
        purpose="thanks",
        dedupe_key="t:1",
        ttl=timedelta(days=30),
    )
    sender = RecordingSender(fail=100)
    moment = now()
    for attempt in range(MAX_ATTEMPTS):
        with frozen_at(moment + timedelta(hours=2 * attempt)):
            await drain(settings, sms=sender, email=sender)
    row = await OutboxMessage.select().first()
    assert (
        row["status"] == "failed"
        and row["attempts"] == MAX_ATTEMPTS
        and row["recipient_encrypted"] is None
    )  # type: ignore[index]


async def test_backoff_waits_before_the_next_attempt(settings: Settings) -> None:
    await enqueue_sms(settings, to_e164=NUMBER, body="hello", purpose="thanks", dedupe_key="t:2")
    sender = RecordingSender(fail=1)
    await drain(settings, sms=sender, email=sender)
    await drain(settings, sms=sender, email=sender)
    assert sender.sent == []
    with frozen_at(now() + timedelta(minutes=5)):
        await drain(settings, sms=sender, email=sender)
    assert sender.sent == [(NUMBER, "hello")]


async def test_never_sends_to_a_resident_who_said_stop(settings: Settings) -> None:
    await Resident.insert(
        Resident(voice_hash=phone_hash(NUMBER, settings.phone_key), messages_stopped=True)
    )
    await enqueue_sms(
        settings, to_e164=NUMBER, body="round result", purpose="round_result", dedupe_key="r:1"
    )
    sender = RecordingSender()
    await drain(settings, sms=sender, email=sender)
    assert sender.sent == []
    row = await OutboxMessage.select().first()
    assert row["status"] == "suppressed" and row["recipient_encrypted"] is None  # type: ignore[index]


async def test_expired_messages_are_dropped_and_erased(settings: Settings) -> None:
    await enqueue_sms(
        settings,
        to_e164=NUMBER,
        body="code",
        purpose="verification_code",
        dedupe_key="v:2",
        ttl=timedelta(minutes=10),
    )
    sender = RecordingSender()
    with frozen_at(now() + timedelta(minutes=11)):
        await drain(settings, sms=sender, email=sender)
    row = await OutboxMessage.select().first()
    assert row["status"] == "expired" and row["recipient_encrypted"] is None and sender.sent == []  # type: ignore[index]


async def test_email(settings: Settings) -> None:
    await enqueue_email(
        to="host@example.org", subject="Money held", body="…", purpose="held", dedupe_key="h:1"
    )
    sender = RecordingSender()
    await drain(settings, sms=sender, email=sender)
    assert sender.sent == [("host@example.org", "Money held")]


async def test_the_outbox_page_says_what_each_message_is_for_and_hides_numbers(
    settings: Settings, client: WebClient
) -> None:
    await enqueue_sms(
        settings,
        to_e164=NUMBER,
        body="Your code is 123456",
        purpose="verification_code",
        dedupe_key="v:1",
    )
    await enqueue_email(
        to="host@example.org",
        subject="Money held",
        body="…",
        purpose="payments.held",
        dedupe_key="h:1",
    )
    await client.login(await make_user(Role.ADMIN))
    page = (await client.get("/admin/outbox")).text
    assert "Vouching code (web)" in page and "Money held: host to set up payments" in page
    listed = page[page.index("<table") :]  # the filter's <option> values name purposes too
    assert "verification_code" not in listed and "payments.held" not in listed
    assert "host@example.org" in page  # staff and hosts' addresses are theirs to see
    assert "7911" not in page  # a resident's number never is
