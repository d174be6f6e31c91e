from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from groundswell.core import ratelimit
from groundswell.core.errors import DomainError, NotFound, TooManyRequests, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.i18n import N_
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Role
from groundswell.core.web import (
    RowId,
    client_address_of,
    principal_of,
    requires_role,
    settings_of,
    signed_in,
)
from groundswell.outbox import listing
from groundswell.outbox import services as outbox
from groundswell.vouching import moderation, moderation_queue, my_voice
from groundswell.vouching.queries import audience_of
from groundswell.vouching.recording import source_hash
from groundswell.vouching.residents import erase_voice
from groundswell.vouching.self_service import (
    building_sharing_words,
    held_for,
    set_sharing,
    sharing_words,
)
from groundswell.vouching.states import Theme
from groundswell.vouching.web_vouch import (
    OrganiserLeft,
    confirm_web_vouch,
    pending_verification,
    resend_code,
    start_web_vouch,
    vouch_target,
)

# Translated where shown (vouch.html), in the resident's language.
THEMES = [
    (Theme.VALUE.value, N_("What I value in their work")),
    (Theme.CONCERN.value, N_("A concern")),
    (Theme.HOPE.value, N_("A hope for what comes next")),
    (Theme.IDEA.value, N_("An idea")),
]


def _client_ip(request: Request[Any, Any, Any]) -> str:
    # Forwarded addresses believed only from trusted proxies (core/client_address.py).
    return client_address_of(request)


def _organiser_left(exc: OrganiserLeft) -> Template:
    """Vouching for someone who has left the role: a kind page, not an error (410 Gone)."""
    return render(
        "vouching/organiser_left.html",
        status_code=exc.status_code,
        organiser_name=exc.organiser_name,
    )


class VouchController(Controller):
    include_in_schema = False
    path = "/vouch"

    @get("/{code:str}", name="vouch")
    async def form(self, code: FromPath[str]) -> Template:
        try:
            target = await vouch_target(code)
        except OrganiserLeft as exc:
            return _organiser_left(exc)
        if target.subject is not None:
            return render(
                "vouching/vouch_building.html", building=target.subject, values={}, errors={}
            )
        return render(
            "vouching/vouch.html",
            organiser=target.organiser,
            themes=THEMES,
            values={"theme": "value"},
            errors={},
        )

    @post("/{code:str}")
    async def start(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        try:
            target = await vouch_target(code)
        except OrganiserLeft as exc:
            return _organiser_left(exc)
        data = await read_form(request)
        try:
            started = await start_web_vouch(
                settings_of(request), code, data, client_ip=_client_ip(request)
            )
        except DomainError as exc:
            if target.subject is not None:
                page = render_form_error(
                    "vouching/vouch_building.html", exc, data, building=target.subject
                )
            else:
                page = render_form_error(
                    "vouching/vouch.html", exc, data, organiser=target.organiser, themes=THEMES
                )
            # The number typed is back in its field: no cache may keep this page.
            page.headers["Cache-Control"] = "no-store"
            return page
        named = target.subject or target.organiser
        assert named is not None
        return Redirect(f"/vouch/{named['code']}/confirm?t={started.token}")

    @get("/{code:str}/confirm", name="vouch_confirm")
    async def confirm_form(
        self, request: Request[Any, Any, Any], code: FromPath[str], t: FromQuery[str] = ""
    ) -> Template:
        pending = await pending_verification(t, settings_of(request))
        return render("vouching/confirm.html", pending=pending, token=t, values={}, errors={})

    @post("/{code:str}/resend", name="vouch_resend")
    async def resend(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        data = await read_form(request)
        token = str(data.get("t") or "")
        settings = settings_of(request)
        try:
            await resend_code(settings, token, client_ip=_client_ip(request))
        except DomainError as exc:
            pending = await pending_verification(token, settings)
            return render_form_error("vouching/confirm.html", exc, {}, pending=pending, token=token)
        pending = await pending_verification(token, settings)
        return render(
            "vouching/confirm.html", pending=pending, token=token, values={}, errors={}, resent=True
        )

    @post("/{code:str}/confirm")
    async def confirm(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        data = await read_form(request)
        token = str(data.get("t") or "")
        pending = await pending_verification(token)
        try:
            result = await confirm_web_vouch(
                settings_of(request), token, str(data.get("code") or "")
            )
        except OrganiserLeft as exc:
            return _organiser_left(exc)
        except DomainError as exc:
            pending = await pending_verification(token, settings_of(request))
            return render_form_error("vouching/confirm.html", exc, {}, pending=pending, token=token)
        return render(
            "vouching/thanks.html",
            organiser_name=result.organiser_name,
            replaced=result.replaced,
            building=result.building,
            code=pending["vouch_code"],
            vouch_url=f"{settings_of(request).public_url.rstrip('/')}/vouch/{pending['vouch_code']}",
        )


class ReportController(Controller):
    include_in_schema = False
    path = "/testimony"

    @post("/{public_ref:str}/report", name="report_testimony")
    async def report(self, request: Request[Any, Any, Any], public_ref: FromPath[str]) -> Template:
        """Anyone who can read a testimony may ask a moderator to look at it. Unknown and
        unreadable references get the same 404, so guessing learns nothing."""
        if not await ratelimit.hit(
            f"report:ip:{ratelimit.source_key(_client_ip(request))}",
            limit=20,
            window=timedelta(hours=1),
        ):
            raise TooManyRequests("Too many reports from this connection. Please try again later.")
        principal = principal_of(request)
        # One report per source per voice: the signed-in session, else the address.
        source = (
            f"session:{principal.session_id}"
            if principal is not None and principal.session_id is not None
            else f"address:{ratelimit.source_key(_client_ip(request))}"
        )
        data = await read_form(request)
        await moderation.report(
            public_ref,
            str(data.get("reason") or ""),
            audience=audience_of(principal),
            source=source_hash(settings_of(request), source),
        )
        return render("vouching/reported.html")


class ModerationController(Controller):
    include_in_schema = False
    path = "/admin/moderation"
    guards = (requires_role(Role.ADMIN),)

    @get("/", name="moderation")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """The tab and where you were (after a decision) live in the query string, so the
        page comes back to the same tab at the next item: post/redirect/get."""
        tab = moderation_queue.read_tab(request.query_params.get("tab"))
        return render(
            "vouching/moderation.html",
            tab=tab,
            tabs=moderation_queue.TABS,
            counts=await moderation_queue.counts(),
            entries=await moderation_queue.queue(tab),
            at=moderation_queue.safe_anchor(request.query_params.get("at")),
            sources=await moderation.reports_by_source(),
            flash_in_place=True,
        )

    @post("/")
    async def decide(self, request: Request[Any, Any, Any]) -> Redirect:
        data = await read_form(request, "ids")
        action = str(data.get("action") or "")
        tab = moderation_queue.read_tab(str(data.get("tab") or "waiting"))
        try:
            ids = [int(value) for value in data["ids"]]
        except ValueError:
            raise ValidationFailed(
                "Choose the voices to decide on.", field_errors={"ids": "Choose a voice."}
            ) from None
        note = str(data.get("note") or "")
        if data.get("kind") == "building":
            # Building voices (SubjectVoice) are their own rows, decided by their own service.
            await moderation.decide_building_voices(signed_in(request), ids, action, note)
        else:
            await moderation.decide_many(
                signed_in(request), ids, action, note, tab=str(data.get("tab") or "")
            )
        return _decided(
            request, tab, moderation_queue.safe_anchor(data.get("next")), action, len(ids)
        )


def _decided(request: Request[Any, Any, Any], tab: str, at: str, action: str, n: int) -> Redirect:
    """Back to the same tab, the banner just above the next item to decide. No #fragment:
    a browser moving to one takes the focus off the banner; focusing it scrolls there."""
    url = f"/admin/moderation?tab={tab}" + (f"&at={at}" if at else "")
    voices = "voice" if n == 1 else f"{n} voices"
    if action == "hide":
        return flash_redirect(
            request,
            url,
            f"{'Voice' if n == 1 else str(n) + ' voices'} hidden",
            f"No longer shown, and no round counts {'it' if n == 1 else 'them'} from now on. "
            "The Hidden tab can count them again.",
        )
    return flash_redirect(
        request,
        url,
        f"Kept counting the {voices}",
        f"{'It counts' if n == 1 else 'They count'} again, with words shown where the resident "
        "chose; any reports are closed.",
    )


class OutboxController(Controller):
    include_in_schema = False
    path = "/admin/outbox"
    guards = (requires_role(Role.ADMIN),)

    @get("/", name="outbox")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """Filters and the page live in the query string, so a view can be shared or kept."""
        from groundswell.outbox.adapters import sms_sender

        raw = {
            key: request.query_params.get(key) for key in ("channel", "status", "purpose", "before")
        }
        status_code, errors = 200, {}
        try:
            filters = listing.read_filters(raw)
        except ValidationFailed as exc:
            status_code, errors, filters = 422, exc.field_errors, listing.OutboxFilters()
        page = await listing.page_of(filters)
        return render(
            "vouching/outbox.html",
            status_code=status_code,
            page=page,
            messages=page.messages,
            values={k: v or "" for k, v in raw.items()} if errors else filters.query(),
            errors=errors,
            channels=listing.CHANNEL_LABELS,
            statuses=listing.STATUS_CHOICES,
            purposes=outbox.PURPOSE_LABELS,
            adapter=sms_sender(settings_of(request)).name,
        )


class MyVoiceController(Controller):
    """/my-voice: see, share or erase what is held for a phone, after a code to it."""

    include_in_schema = False
    path = "/my-voice"

    @staticmethod
    def _voice(request: Request[Any, Any, Any]) -> str | None:
        return my_voice.signed_in_voice(settings_of(request), request.cookies.get(my_voice.COOKIE))

    @staticmethod
    def _private(page: Any) -> Any:
        # What a resident holds is theirs alone: no cache may keep these pages.
        page.headers["Cache-Control"] = "no-store"
        return page

    @get("/", name="my_voice")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        voice = self._voice(request)
        if voice is None:
            return self._private(render("vouching/my_voice_start.html", values={}, errors={}))
        held = await held_for(voice)
        return self._private(
            render(
                "vouching/my_voice.html",
                held=held,
                sharing_words=sharing_words,
                building_sharing_words=building_sharing_words,
                changed=request.query_params.get("changed", ""),
            )
        )

    @post("/")
    async def start(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        try:
            sent = await my_voice.send_code(
                settings_of(request), str(data.get("phone") or ""), client_ip=_client_ip(request)
            )
        except DomainError as exc:
            return self._private(render_form_error("vouching/my_voice_start.html", exc, data))
        return Redirect(f"/my-voice/code?t={sent.token}")

    @get("/code", name="my_voice_code")
    async def code_form(self, request: Request[Any, Any, Any], t: FromQuery[str] = "") -> Any:
        mask = my_voice.pending_mask(settings_of(request), t)
        if mask is None:
            return Redirect("/my-voice")
        return self._private(
            render("vouching/my_voice_code.html", token=t, masked_phone=mask, errors={})
        )

    @post("/code")
    async def check_code(self, request: Request[Any, Any, Any]) -> Any:
        settings = settings_of(request)
        data = await read_form(request)
        token = str(data.get("t") or "")
        try:
            signed = await my_voice.check_code(settings, token, str(data.get("code") or ""))
        except DomainError as exc:
            return self._private(
                render_form_error(
                    "vouching/my_voice_code.html",
                    exc,
                    {},
                    token=token,
                    masked_phone=my_voice.pending_mask(settings, token) or "",
                )
            )
        return Redirect(
            "/my-voice",
            cookies=[
                Cookie(
                    key=my_voice.COOKIE,
                    value=signed,
                    path="/my-voice",
                    httponly=True,
                    secure=settings.secure_cookies,
                    samesite="strict",
                    max_age=int(my_voice.SIGNED_IN_FOR.total_seconds()),
                )
            ],
        )

    @post("/sharing/{endorsement_id:int}")
    async def sharing(self, request: Request[Any, Any, Any], endorsement_id: RowId) -> Redirect:
        voice = self._voice(request)
        if voice is None:
            return Redirect("/my-voice")
        data = await read_form(request)
        shared = str(data.get("shared") or "") == "1"
        if not await set_sharing(voice, endorsement_id, shared=shared):
            raise NotFound("There is no such vouch from this phone.")
        return Redirect(f"/my-voice?changed={'shared' if shared else 'private'}")

    @get("/erase", name="my_voice_erase")
    async def erase_check(self, request: Request[Any, Any, Any]) -> Any:
        voice = self._voice(request)
        if voice is None:
            return Redirect("/my-voice")
        return self._private(render("vouching/my_voice_erase.html", held=await held_for(voice)))

    @post("/erase")
    async def erase(self, request: Request[Any, Any, Any]) -> Any:
        voice = self._voice(request)
        if voice is None:
            return Redirect("/my-voice")
        await erase_voice(voice)
        page = self._private(render("vouching/my_voice_erased.html"))
        page.cookies.append(Cookie(key=my_voice.COOKIE, value="", path="/my-voice", max_age=0))
        return page
