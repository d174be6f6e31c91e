"""The local Stripe server, driven through the official SDK (and raw HTTP where needed)."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import stripe

from . import (
    config_request,
    make_stripe_client,
    register_webhook,
    start_stripe_server,
)

API_KEY = "sk_test_x"

# The SDK's own HTTPX adapter passes the form body as data=str.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with start_stripe_server() as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> stripe.StripeClient:
    # The constructor from the stack notes, plus what sync calls need (see the first test).
    return stripe.StripeClient(
        api_key=API_KEY,
        base_addresses={"api": base_url},
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
    )


@pytest.fixture(scope="module")
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {API_KEY}"}, trust_env=False
    ) as c:
        yield c


@pytest.fixture(scope="module")
def new_account(client: stripe.StripeClient, base_url: str) -> Callable[..., Any]:
    """Makes an express account; ``onboarded=True`` completes onboarding (test-only route)."""

    def make(onboarded: bool, **extra: Any) -> Any:
        account = client.v1.accounts.create(
            params={
                "type": "express",
                "country": "GB",
                "email": "host@example.org",
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"host_org": "42"},
                **extra,
            }
        )
        if onboarded:
            path = f"/_config/accounts/{account.id}/complete_onboarding"
            config_request(base_url, "POST", path)
            account = client.v1.accounts.retrieve(account.id)
        return account

    return make


def line_items() -> list[dict[str, Any]]:
    return [
        {
            "price_data": {
                "currency": "gbp",
                "unit_amount": 2500,
                "product_data": {"name": "Pool deposit"},
            },
            "quantity": 2,
        },
        {
            "price_data": {"currency": "gbp", "unit_amount": 100, "product_data": {"name": "Fee"}},
            "quantity": 1,
        },
    ]


# --------------------------------------------------------------------------------------


async def test_sdk_constructor_from_the_notes(base_url: str) -> None:
    """``stripe.HTTPXClient()`` works for *_async calls; sync calls need allow_sync_methods."""
    plain = stripe.StripeClient(
        api_key=API_KEY, base_addresses={"api": base_url}, http_client=stripe.HTTPXClient()
    )
    account = await plain.v1.accounts.create_async(
        params={
            "type": "express",
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    assert account.id.startswith("acct_")
    listed = await plain.v1.accounts.list_async(params={"limit": 1})
    assert listed.data[0].id == account.id
    with pytest.raises(RuntimeError, match="allow_sync_methods"):
        plain.v1.accounts.retrieve(account.id)
    synced = make_stripe_client(base_url, api_key=API_KEY)
    assert synced.v1.accounts.retrieve(account.id).id == account.id


def test_auth_and_unknown_routes(base_url: str, http: httpx.Client) -> None:
    r = httpx.get(base_url + "/v1/transfers", trust_env=False)
    assert r.status_code == 401
    r = http.get("/v1/not_a_resource")
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_connect_onboarding(
    client: stripe.StripeClient, base_url: str, new_account: Callable[..., Any]
) -> None:
    account = new_account(onboarded=False)
    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert (account.details_submitted, account.payouts_enabled, account.charges_enabled) == (
        False,
        False,
        False,
    )
    assert account.capabilities["transfers"] == "inactive"
    assert account.metadata["host_org"] == "42"
    assert client.v1.accounts.retrieve(account.id).email == "host@example.org"

    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "http://127.0.0.1:9/refresh",
            "return_url": "http://127.0.0.1:9/return",
            "type": "account_onboarding",
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith(f"{base_url}/_connect/onboard/{account.id}?")
    assert link.expires_at > link.created

    with pytest.raises(stripe.InvalidRequestError):  # not onboarded yet
        client.v1.accounts.login_links.create(account.id)

    r = httpx.get(link.url, follow_redirects=False, trust_env=False)
    assert r.status_code == 303
    assert r.headers["location"] == "http://127.0.0.1:9/return"
    account = client.v1.accounts.retrieve(account.id)
    assert (account.details_submitted, account.payouts_enabled) == (True, True)
    assert account.capabilities["transfers"] == "active"
    assert account.requirements.currently_due == []
    # Account links are single use: a second visit goes to refresh_url, like Stripe's.
    r = httpx.get(link.url, follow_redirects=False, trust_env=False)
    assert r.headers["location"] == "http://127.0.0.1:9/refresh"

    events = client.v1.events.list(params={"type": "account.updated", "limit": 100}).data
    mine = [e for e in events if e.data.object.id == account.id]
    assert len(mine) == 1
    event = client.v1.events.retrieve(mine[0].id)
    assert event.account == account.id
    assert event.data.object.payouts_enabled is True
    assert event.data.previous_attributes.payouts_enabled is False
    assert client.v1.accounts.login_links.create(account.id).url.startswith(base_url)

    # The test-only route does the same; restrict undoes it.
    other = new_account(onboarded=True)
    assert other.payouts_enabled and other.capabilities["transfers"] == "active"
    restricted = config_request(base_url, "POST", f"/_config/accounts/{other.id}/restrict")
    assert restricted["payouts_enabled"] is False

    updated = client.v1.accounts.update(account.id, params={"metadata": {"note": "x"}})
    assert updated.metadata.to_dict() == {"host_org": "42", "note": "x"}


def test_transfer_errors(
    client: stripe.StripeClient, http: httpx.Client, new_account: Callable[..., Any]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.transfers.create(
            params={"amount": 100, "currency": "gbp", "destination": "acct_doesnotexist"}
        )
    assert missing.value.http_status == 400
    assert missing.value.code == "resource_missing"

    pending = new_account(onboarded=False)
    r = http.post(
        "/v1/transfers", data={"amount": "100", "currency": "gbp", "destination": pending.id}
    )
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "insufficient_capabilities_for_transfer"
    assert "transfers" in error["message"]

    with pytest.raises(stripe.InvalidRequestError, match="Missing required param: amount"):
        client.v1.transfers.create(params={"currency": "gbp", "destination": pending.id})
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: bogus"):
        client.v1.transfers.create(
            params={  # type: ignore[typeddict-unknown-key]
                "amount": 1,
                "currency": "gbp",
                "destination": pending.id,
                "bogus": "1",
            }
        )


def test_transfers_list_filters_and_pagination(
    client: stripe.StripeClient, base_url: str, new_account: Callable[..., Any]
) -> None:
    a = new_account(onboarded=True)
    b = new_account(onboarded=True)
    group = f"round_{uuid.uuid4().hex}"
    made = [
        client.v1.transfers.create(
            params={
                "amount": 1000 + i,
                "currency": "gbp",
                "destination": a.id,
                "transfer_group": group,
                "metadata": {"allocation": str(i)},
                "description": f"allocation {i}",
            }
        )
        for i in range(3)
    ]
    other = client.v1.transfers.create(
        params={"amount": 5, "currency": "gbp", "destination": b.id, "transfer_group": group + "b"}
    )
    first = made[0]
    assert first.id.startswith("tr_")
    assert (first.amount, first.currency, first.destination) == (1000, "gbp", a.id)
    assert (first.amount_reversed, first.reversed) == (0, False)
    assert first.metadata["allocation"] == "0"
    got = client.v1.transfers.retrieve(first.id)
    assert got.transfer_group == group and got.description == "allocation 0"

    page1 = client.v1.transfers.list(params={"transfer_group": group, "limit": 2})
    assert [t.id for t in page1.data] == [made[2].id, made[1].id]  # newest first
    assert page1.has_more is True
    page2 = client.v1.transfers.list(
        params={"transfer_group": group, "limit": 2, "starting_after": page1.data[-1].id}
    )
    assert [t.id for t in page2.data] == [made[0].id]
    assert page2.has_more is False
    assert [t.id for t in client.v1.transfers.list(params={"destination": b.id}).data] == [other.id]
    everything = list(client.v1.transfers.list(params={"limit": 2}).auto_paging_iter())
    assert {t.id for t in [*made, other]} <= {t.id for t in everything}

    assert config_request(base_url, "GET", f"/_config/transfers/count?destination={a.id}") == {
        "count": 3,
        "amount": 3003,
        "amount_reversed": 0,
    }
    created = client.v1.events.list(params={"type": "transfer.created", "limit": 100}).data
    assert {t.id for t in made} <= {e.data.object.id for e in created}


def test_reversals(client: stripe.StripeClient, new_account: Callable[..., Any]) -> None:
    dest = new_account(onboarded=True)
    tr = client.v1.transfers.create(
        params={"amount": 1000, "currency": "gbp", "destination": dest.id}
    )
    part = client.v1.transfers.reversals.create(
        tr.id, params={"amount": 300, "metadata": {"reason": "duplicate"}}
    )
    assert part.id.startswith("trr_")
    assert (part.amount, part.transfer, part.currency) == (300, tr.id, "gbp")
    after = client.v1.transfers.retrieve(tr.id)
    assert (after.amount_reversed, after.reversed) == (300, False)

    rest = client.v1.transfers.reversals.create(tr.id)  # amount defaults to what remains
    assert rest.amount == 700
    after = client.v1.transfers.retrieve(tr.id)
    assert (after.amount_reversed, after.reversed) == (1000, True)
    assert after.reversals.total_count == 2
    with pytest.raises(stripe.InvalidRequestError, match="fully reversed"):
        client.v1.transfers.reversals.create(tr.id, params={"amount": 1})

    listed = client.v1.transfers.reversals.list(tr.id)
    assert [r.id for r in listed.data] == [rest.id, part.id]
    assert client.v1.transfers.reversals.retrieve(tr.id, part.id).amount == 300

    events = client.v1.events.list(params={"type": "transfer.reversed", "limit": 100}).data
    mine = [e for e in events if e.data.object.id == tr.id]
    assert [e.data.object.amount_reversed for e in mine] == [1000, 300]  # newest first


def test_checkout_sessions(client: stripe.StripeClient, base_url: str) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": line_items(),
            "success_url": "http://127.0.0.1:9/thanks?cs={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://127.0.0.1:9/cancel",
            "metadata": {"pool": "7"},
            "client_reference_id": "deposit-7",
            "customer_email": "funder@example.org",
            "payment_intent_data": {"transfer_group": "pool_7", "metadata": {"deposit": "7"}},
        }
    )
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (5100, "gbp")
    assert session.url.startswith(f"{base_url}/_checkout/")
    assert session.payment_intent is None
    page = httpx.get(session.url, trust_env=False)
    assert page.status_code == 200 and "Pay 51.00 GBP" in page.text

    done = config_request(base_url, "POST", f"/_config/checkout/sessions/{session.id}/complete")
    assert (done["status"], done["payment_status"]) == ("complete", "paid")
    got = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert got.payment_intent.startswith("pi_")
    assert got.metadata["pool"] == "7" and got.client_reference_id == "deposit-7"
    assert [li.quantity for li in got.line_items.data] == [2, 1]
    pi = client.v1.payment_intents.retrieve(got.payment_intent)
    assert (pi.status, pi.amount, pi.currency) == ("succeeded", 5100, "gbp")
    assert pi.metadata["deposit"] == "7"
    events = client.v1.events.list(params={"type": "checkout.session.completed", "limit": 100}).data
    assert session.id in {e.data.object.id for e in events}

    # The hosted page's "Pay" form completes too and redirects to success_url.
    second = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": line_items(),
            "success_url": "http://127.0.0.1:9/thanks?cs={CHECKOUT_SESSION_ID}",
        }
    )
    r = httpx.post(
        f"{base_url}/_checkout/{second.id}/pay",
        data={"email": "f@example.org"},
        follow_redirects=False,
        trust_env=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"http://127.0.0.1:9/thanks?cs={second.id}"
    second = client.v1.checkout.sessions.retrieve(second.id)
    assert second.payment_status == "paid"
    assert second.customer_details.email == "f@example.org"

    third = client.v1.checkout.sessions.create(
        params={"mode": "payment", "line_items": line_items()}
    )
    assert client.v1.checkout.sessions.expire(third.id).status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "gbp",
                            "unit_amount": 10,
                            "product_data": {"name": "too small"},
                        },
                        "quantity": 1,
                    }
                ],
            }
        )


def test_idempotency_replay_and_conflict(
    client: stripe.StripeClient, http: httpx.Client, base_url: str, new_account: Callable[..., Any]
) -> None:
    dest = new_account(onboarded=True)
    params = {
        "amount": 700,
        "currency": "gbp",
        "destination": dest.id,
        "metadata": {"allocation": "alloc-1"},
    }
    key = f"allocation-{uuid.uuid4()}"
    one = client.v1.transfers.create(params=params, options={"idempotency_key": key})
    two = client.v1.transfers.create(params=params, options={"idempotency_key": key})
    assert one.id == two.id
    assert two.last_response.headers["Idempotent-Replayed"] == "true"
    count = config_request(base_url, "GET", f"/_config/transfers/count?destination={dest.id}")
    assert count["count"] == 1

    # Raw HTTP: exact same status and body; order of form fields does not matter.
    form = {"amount": "50", "currency": "gbp", "destination": dest.id}
    key2 = f"k-{uuid.uuid4()}"
    first = http.post("/v1/transfers", data=form, headers={"Idempotency-Key": key2})
    again = http.post(
        "/v1/transfers", data=dict(reversed(form.items())), headers={"Idempotency-Key": key2}
    )
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert "Idempotent-Replayed" not in first.headers

    conflict = http.post(
        "/v1/transfers", data={**form, "amount": "51"}, headers={"Idempotency-Key": key2}
    )
    assert conflict.status_code == 400
    assert conflict.json()["error"]["type"] == "idempotency_error"
    assert conflict.json()["error"]["message"].startswith(
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with"
    )
    with pytest.raises(stripe.IdempotencyError):
        client.v1.transfers.create(
            params={**params, "amount": 701}, options={"idempotency_key": key}
        )
    with pytest.raises(stripe.IdempotencyError, match="same endpoint"):
        client.v1.customers.create(options={"idempotency_key": key})

    # localstripe's own routes get the same treatment.
    ckey = f"c-{uuid.uuid4()}"
    c1 = client.v1.customers.create(
        params={"email": "a@example.org"}, options={"idempotency_key": ckey}
    )
    c2 = client.v1.customers.create(
        params={"email": "a@example.org"}, options={"idempotency_key": ckey}
    )
    assert c1.id == c2.id
    assert [c.id for c in client.v1.customers.list(params={"limit": 100}).data].count(c1.id) == 1

    # Parameter-validation failures are not saved: the key stays usable.
    vkey = f"v-{uuid.uuid4()}"
    bad = http.post(
        "/v1/transfers",
        data={"currency": "gbp", "destination": dest.id},
        headers={"Idempotency-Key": vkey},
    )
    assert bad.status_code == 400
    good = http.post(
        "/v1/transfers",
        data={"amount": "9", "currency": "gbp", "destination": dest.id},
        headers={"Idempotency-Key": vkey},
    )
    assert good.status_code == 200

    # A business-rule failure once the endpoint ran is saved and replayed, as Stripe does:
    # retrying a held transfer after onboarding needs a new key.
    pending = new_account(onboarded=False)
    hkey = f"held-{uuid.uuid4()}"
    held = {"amount": "9", "currency": "gbp", "destination": pending.id}
    r1 = http.post("/v1/transfers", data=held, headers={"Idempotency-Key": hkey})
    config_request(base_url, "POST", f"/_config/accounts/{pending.id}/complete_onboarding")
    r2 = http.post("/v1/transfers", data=held, headers={"Idempotency-Key": hkey})
    assert r1.status_code == r2.status_code == 400
    assert r2.content == r1.content and r2.headers["Idempotent-Replayed"] == "true"
    r3 = http.post("/v1/transfers", data=held, headers={"Idempotency-Key": hkey + "-2"})
    assert r3.status_code == 200


def test_platform_balance_can_be_enforced(
    client: stripe.StripeClient, base_url: str, new_account: Callable[..., Any]
) -> None:
    dest = new_account(onboarded=True)
    config_request(base_url, "POST", "/_config/balance", {"available": {"gbp": 1000}})
    try:
        client.v1.transfers.create(
            params={"amount": 600, "currency": "gbp", "destination": dest.id}
        )
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.transfers.create(
                params={"amount": 600, "currency": "gbp", "destination": dest.id}
            )
        assert exc.value.code == "balance_insufficient"
        assert config_request(base_url, "GET", "/_config/balance")["available"]["gbp"] == 400
    finally:
        config_request(base_url, "POST", "/_config/balance", {"enforce": False})


class _Receiver:
    """A tiny webhook endpoint on 127.0.0.1 collecting (signature header, raw body)."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[str, bytes]] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.put((self.headers.get("Stripe-Signature", ""), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(
        self, wanted: set[tuple[str, str]], secret: str, timeout: float = 10.0
    ) -> list[tuple[str, bytes]]:
        """Deliveries until every wanted (event type, object id) has arrived.

        Deliveries for other objects (events of earlier tests) are ignored.
        """
        got = []
        missing = set(wanted)
        deadline = time.monotonic() + timeout
        while missing:
            sig, body = self.received.get(timeout=max(0.01, deadline - time.monotonic()))
            event = json.loads(body)
            pair = (event["type"], event["data"]["object"]["id"])
            if pair in wanted:
                got.append((sig, body))
                missing.discard(pair)
        return got

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhook_delivery_is_signed(
    client: stripe.StripeClient, base_url: str, new_account: Callable[..., Any]
) -> None:
    secret = "whsec_test_" + uuid.uuid4().hex
    receiver = _Receiver()
    types = [
        "account.updated",
        "transfer.created",
        "transfer.reversed",
        "checkout.session.completed",
    ]
    register_webhook(base_url, receiver.url, secret, events=types, name="t")
    try:
        dest = new_account(onboarded=True)  # account.updated
        tr = client.v1.transfers.create(
            params={"amount": 10, "currency": "gbp", "destination": dest.id}
        )
        client.v1.transfers.reversals.create(tr.id, params={"amount": 5})
        customer = client.v1.customers.create()  # customer.created: filtered out
        deliveries = receiver.wait_for(
            {
                ("account.updated", dest.id),
                ("transfer.created", tr.id),
                ("transfer.reversed", tr.id),
            },
            secret,
        )
        time.sleep(0.7)  # anything else (e.g. customer.created) would have arrived by now
        others = []
        while not receiver.received.empty():
            others.append(json.loads(receiver.received.get()[1]))
        assert customer.id not in {e["data"]["object"]["id"] for e in others}
    finally:
        config_request(base_url, "DELETE", "/_config/webhooks/t")
        receiver.close()
    events = [stripe.Webhook.construct_event(body, sig, secret) for sig, body in deliveries]
    assert sorted(e.type for e in events) == [
        "account.updated",
        "transfer.created",
        "transfer.reversed",
    ]
    by_type = {e.type: e for e in events}
    assert by_type["account.updated"].data.object.id == dest.id
    assert by_type["transfer.created"].data.object.id == tr.id
    assert client.v1.events.retrieve(by_type["transfer.created"].id).type == "transfer.created"
    sig, body = deliveries[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sig, "whsec_wrong")
    assert json.loads(body)["object"] == "event"


def test_two_servers_in_parallel_with_private_stores(tmp_path: Any) -> None:
    store = tmp_path / "stripe.pickle"
    with start_stripe_server(store_path=store) as a_url, start_stripe_server() as b_url:
        assert a_url != b_url
        a, b = make_stripe_client(a_url), make_stripe_client(b_url)
        account = a.v1.accounts.create(
            params={"type": "express", "capabilities": {"transfers": {"requested": True}}},
            options={"idempotency_key": "persisted-key"},
        )
        with pytest.raises(stripe.InvalidRequestError):
            b.v1.accounts.retrieve(account.id)
        assert b.v1.accounts.list().data == []
    assert store.exists()
    with start_stripe_server(store_path=store) as again_url:
        again = make_stripe_client(again_url)
        assert again.v1.accounts.retrieve(account.id).id == account.id
        replay = again.v1.accounts.create(
            params={"type": "express", "capabilities": {"transfers": {"requested": True}}},
            options={"idempotency_key": "persisted-key"},
        )
        assert replay.id == account.id
