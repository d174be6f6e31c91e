from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template

from groundswell.allocation import review, rounds
from groundswell.allocation.explain import explain, round_voices
from groundswell.allocation.loop import hear_back_share, loop_stats, round_window_days
from groundswell.allocation.signal import round_signal
from groundswell.allocation.states import RoundStatus
from groundswell.core.clock import now
from groundswell.core.errors import Conflict
from groundswell.core.flash import flash_redirect
from groundswell.core.pages import render
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, signed_in

ROUND_PAGE = "allocation/round.html"
APPROVED_OR_LATER = (RoundStatus.APPROVED, RoundStatus.PAYING, RoundStatus.PAID)


async def _round_page(round_id: int, status_code: int = 200, **extra: Any) -> Template:
    report = await rounds.round_report(round_id)
    stored = await rounds.get_round(round_id)
    lines = sorted(report.lines, key=lambda line: (-line.amount, line.organiser))
    signal = await round_signal(round_id)
    voices = round_voices(
        [line.explanation for line in lines],
        window_days=round_window_days(stored),
        signal=signal,
        hear_back=await hear_back_share(round_id),
        loop=await loop_stats(round_id),
        approved=stored["status"] in APPROVED_OR_LATER,
    )
    return render(
        ROUND_PAGE,
        status_code=status_code,
        round=stored,
        report=report,
        lines=[(line, explain(line.explanation, report.currency)) for line in lines],
        # Raw scores depend on the pool's scoring rule (hundreds under quadratic); each line's
        # share of the round's total score is what reads across rules.
        score_total=sum(line.score for line in lines if line.score > 0),
        now=now(),
        voices=voices,
        signal=signal,
        **extra,
    )


class RoundController(Controller):
    path = "/rounds"
    guards = [requires_role(Role.ADMIN, Role.FUNDER)]  # noqa: RUF012 - Litestar's API

    @get("/{round_id:int}", name="round")
    async def detail(self, request: Request[Any, Any, Any], round_id: RowId) -> Template:
        await rounds.can_see_round(signed_in(request), round_id)
        return await _round_page(round_id)

    @post("/{round_id:int}/pause")
    async def pause(self, request: Request[Any, Any, Any], round_id: RowId) -> Any:
        try:
            paused = await review.pause_round(signed_in(request), round_id)
        except Conflict as exc:
            return await _round_page(round_id, status_code=409, problem=exc.detail)
        if not paused:  # a second press, or someone else first
            return flash_redirect(request, f"/rounds/{round_id}", "This round was already paused")
        return flash_redirect(
            request,
            f"/rounds/{round_id}",
            "Round paused",
            "Nothing in it is approved or paid while it is paused. Resume it to carry on.",
        )

    @post("/{round_id:int}/resume")
    async def resume(self, request: Request[Any, Any, Any], round_id: RowId) -> Any:
        try:
            resumed = await review.resume_round(signed_in(request), round_id)
        except Conflict as exc:
            return await _round_page(round_id, status_code=409, problem=exc.detail)
        if not resumed:
            return flash_redirect(
                request, f"/rounds/{round_id}", "This round was already in review"
            )
        return flash_redirect(
            request,
            f"/rounds/{round_id}",
            "Round resumed",
            "It is back in review and is approved at its review deadline (at once if that has passed).",
        )


@get("/admin/rounds", name="admin_rounds", guards=[requires_role(Role.ADMIN)])
async def admin_rounds() -> Template:
    return render("allocation/admin_rounds.html", rounds=await rounds.list_rounds(limit=100))
