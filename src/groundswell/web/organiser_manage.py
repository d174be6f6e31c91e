"""Managing an organiser (issue #16): the staff and host view of one organiser, its history,
and the forms that change it (community/lifecycle.py does the changing).

Changes that decide money (status, host, place, bursary dates) go through a "check your
answers" page first: the form posts without `confirmed`, the page shows before and after, and
its button posts the same values with `confirmed=yes`. Then back to the manage page with a
notification banner, chosen from a fixed list (never words from the request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from groundswell.community import lifecycle, moves, own_phone, services
from groundswell.core.errors import DomainError, Forbidden, NotFound
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Principal, Role
from groundswell.core.web import requires_role, settings_of, signed_in

DONE = {
    "details": "The organiser's details are saved.",
    "pause": "The organiser is paused: rounds leave them out until they are unpaused.",
    "unpause": "The organiser is unpaused: rounds include them again.",
    "end": "The organiser has left the role: future rounds leave them out.",
    "move": "The organiser has moved host: rounds computed from now on pay the new host.",
    "move-scheduled": "The move is scheduled: rounds computed from its date pay the new host, "
    "until then the current one. You can cancel it until then.",
    "move-cancel": "The scheduled move is cancelled: the organiser stays with their host.",
    "dates": "The bursary dates are corrected.",
    "unchanged": "Nothing changed: that is how the organiser is already.",
    "phone-sent": "A code is on its way to that phone. Type it in below when the organiser "
    "reads it to you; it lasts 10 minutes.",
    "phone": "Their own phone is recorded: their own voice will never count.",
}

CHECK_TITLES = {
    "details": "Check the organiser's new details",
    "pause": "Check before you pause this organiser",
    "unpause": "Check before you unpause this organiser",
    "end": "Check before you record that this organiser has left",
    "move": "Check the move to another host",
    "move-cancel": "Check before you cancel the scheduled move",
    "dates": "Check the corrected bursary dates",
}

CHECK_NOTES = {
    "pause": "While paused, residents can still vouch, and their voices keep counting; "
    "funding rounds leave the organiser out, and the public page says they are paused.",
    "unpause": "Rounds computed from now on include the organiser again.",
    "end": "Rounds computed from now on leave the organiser out for good, new vouches are "
    "refused kindly, and their page says they have left. Their history stays. This cannot "
    "be undone: someone who comes back is added again.",
    "move": "Rounds computed from the move date on pay the new host; until then, the "
    "current one. A move dated after today is scheduled and can be cancelled until its date. "
    "Money from rounds computed before stays with the host it was computed for.",
    "dates": "The bursary dates decide which rounds can fund the organiser.",
    "details": "The place decides which pools can fund the organiser.",
}

Action = Callable[..., Awaitable[lifecycle.Plan]]


async def _manage_context(principal: Principal, code: str) -> dict[str, Any]:
    organiser = await lifecycle.organiser_for_manager(principal, code)
    return {
        "organiser": organiser,
        "history": await lifecycle.history(organiser["id"]),
        "hostings": await moves.hostings(organiser),
        "scheduled_move": await moves.scheduled_move(organiser["id"]),
        "place_options": [(row["id"], row["name"]) for row in await services.list_localities()]
        if principal.is_admin
        else [],
        "host_options": [
            (row["id"], row["name"])
            for row in await services.list_hosts()
            if row["id"] != organiser["host_id"]
        ]
        if principal.is_admin
        else [],
        "is_staff": principal.is_admin,
        "own_phone": await own_phone.phone_status(organiser["id"]),
    }


def _form_values(organiser: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": organiser["name"],
        "bio": organiser["bio"],
        "locality_id": organiser["locality_id"],
        "bursary_start": organiser["bursary_start"].isoformat(),
        "bursary_end": organiser["bursary_end"].isoformat(),
    }


class OrganiserManageController(Controller):
    include_in_schema = False
    path = "/organisers/{code:str}"
    guards = [requires_role(Role.ADMIN, Role.HOST)]  # noqa: RUF012 - Litestar's API

    @get("/manage", name="organiser-manage")
    async def manage(
        self, request: Request[Any, Any, Any], code: FromPath[str], done: FromQuery[str] = ""
    ) -> Template:
        context = await _manage_context(signed_in(request), code)
        return render(
            "community/organiser_manage.html",
            values=_form_values(context["organiser"]),
            errors={},
            done=DONE.get(done),
            **context,
        )

    async def _act(
        self,
        request: Request[Any, Any, Any],
        code: str,
        kind: str,
        action: Action,
        reason_field: str = "reason",
    ) -> Any:
        """`reason_field`: this form's name for the reason (one page holds several forms,
        and each field needs its own id); the check page posts it back as `reason`."""
        principal = signed_in(request)
        data = await read_form(request)
        confirmed = data.pop("confirmed", "") == "yes"
        data.pop("_csrf_token", None)
        if reason_field in data:
            data["reason"] = data.pop(reason_field)
        try:
            if not confirmed:
                plan = await action(principal, code, data, apply=False)
                if plan.changes and not plan.applied:
                    organiser = await lifecycle.organiser_for_manager(principal, code)
                    return render(
                        "community/organiser_check.html",
                        organiser=organiser,
                        title=CHECK_TITLES[kind],
                        note=CHECK_NOTES.get(kind, ""),
                        plan=plan,
                        action=str(request.url.path),
                        hidden=data,
                    )
            else:
                plan = await action(principal, code, data, apply=True)
        except DomainError as exc:
            if isinstance(exc, (Forbidden, NotFound)):
                raise
            context = await _manage_context(principal, code)
            values = {**_form_values(context["organiser"]), **data}
            if reason_field != "reason" and "reason" in data:
                values[reason_field] = values.pop("reason")
            if "reason" in exc.field_errors and reason_field != "reason":
                exc.field_errors[reason_field] = exc.field_errors.pop("reason")
            return render_form_error("community/organiser_manage.html", exc, values, **context)
        organiser = await lifecycle.organiser_for_manager(principal, code)
        outcome = (plan.outcome or kind) if plan.applied else "unchanged"
        return Redirect(f"/organisers/{organiser['code']}/manage?done={outcome}")

    @post("/phone")
    async def phone(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        """Text a code to the organiser's own phone (community/own_phone.py)."""
        return await self._phone_step(request, code, own_phone.send_code, "phone-sent")

    @post("/phone/confirm")
    async def phone_confirm(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        return await self._phone_step(request, code, own_phone.confirm_code, "phone")

    async def _phone_step(
        self, request: Request[Any, Any, Any], code: str, step: Any, done: str
    ) -> Any:
        principal = signed_in(request)
        data = await read_form(request)
        try:
            changed = await step(settings_of(request), principal, code, data)
        except DomainError as exc:
            if isinstance(exc, (Forbidden, NotFound)):
                raise
            context = await _manage_context(principal, code)
            # The number typed is not shown again: it is kept nowhere, not even in a page.
            values = _form_values(context["organiser"])
            page = render_form_error("community/organiser_manage.html", exc, values, **context)
            page.headers["Cache-Control"] = "no-store"
            return page
        organiser = await lifecycle.organiser_for_manager(principal, code)
        return Redirect(
            f"/organisers/{organiser['code']}/manage?done={done if changed else 'unchanged'}"
        )

    @post("/details")
    async def details(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        # Only a change of place (staff) moves money; words alone are saved straight away.
        return await self._act(request, code, "details", _details_action)

    @post("/pause", guards=[requires_role(Role.ADMIN)])
    async def pause(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        return await self._act(
            request, code, "pause", _status_action("pause"), reason_field="pause_reason"
        )

    @post("/unpause", guards=[requires_role(Role.ADMIN)])
    async def unpause(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        return await self._act(
            request, code, "unpause", _status_action("unpause"), reason_field="unpause_reason"
        )

    @post("/end", guards=[requires_role(Role.ADMIN)])
    async def end(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        return await self._act(
            request, code, "end", _status_action("end"), reason_field="end_reason"
        )

    @post("/move", guards=[requires_role(Role.ADMIN)])
    async def move(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        return await self._act(request, code, "move", moves.move_host, reason_field="move_reason")

    @post("/move/cancel", guards=[requires_role(Role.ADMIN)])
    async def cancel_move(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        return await self._act(
            request, code, "move-cancel", moves.cancel_move, reason_field="cancel_reason"
        )

    @post("/dates", guards=[requires_role(Role.ADMIN)])
    async def dates(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        return await self._act(request, code, "dates", lifecycle.correct_dates)


async def _details_action(
    principal: Principal, code: str, data: dict[str, Any], *, apply: bool
) -> lifecycle.Plan:
    """Details: checked first only when the place changes (it decides which pools can fund
    them); a new name or new words are saved at once."""
    if not apply:
        plan = await lifecycle.edit_details(principal, code, data, apply=False)
        if not any(what == "Place" for what, _, _ in plan.rows):
            return await lifecycle.edit_details(principal, code, data, apply=True)
        return plan
    return await lifecycle.edit_details(principal, code, data, apply=True)


def _status_action(kind: str) -> Action:
    async def act(
        principal: Principal, code: str, data: dict[str, Any], *, apply: bool
    ) -> lifecycle.Plan:
        return await lifecycle.change_status(principal, code, kind, data, apply=apply)

    return act
