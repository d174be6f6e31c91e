from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Template

from groundswell.allocation import attribution, review, rounds
from groundswell.allocation.cancel import cancel_round
from groundswell.allocation.explain import explain, format_score, round_voices
from groundswell.allocation.loop import hear_back_share, loop_stats, round_window_days
from groundswell.allocation.signal import round_signal
from groundswell.allocation.states import RoundStatus, allocation_state_label
from groundswell.core.clock import now
from groundswell.core.csv import csv_download, write_csv
from groundswell.core.errors import Conflict, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.money import major_amount
from groundswell.core.pages import read_form, render
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, settings_of, signed_in
from groundswell.funders.cofunders import may_review, pool_funders
from groundswell.funders.services import get_pool

ROUND_PAGE = "allocation/round.html"
LINE_CSV_HEADINGS = {
    "organiser": "Organiser",
    "code": "Organiser's code",
    "amount": "Amount",
    "currency": "Currency",
    "residents": "Residents counted",
    "share": "Share of the round's score (%)",
    "score": "Score",
    "state": "State",
    "why": "Why",
}
CHECK_PAGE = "allocation/round_check.html"
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
        history=await review.round_history(round_id),
        funder_shares=await _funder_shares(stored),
        **({"can_review": True} | extra),
    )


async def _funder_shares(stored: dict[str, Any]) -> list[dict[str, Any]]:
    """Each funder's part of a co-funded round, the lead first; empty for one funder."""
    pool = await get_pool(stored["pool"])
    funders = await pool_funders(pool)
    if len(funders) == 1:
        return []
    shares = await attribution.round_shares(stored)
    return [funder | {"share": shares.get(funder["id"], 0)} for funder in funders]


async def _refused(
    round_id: int, action: str, exc: ValidationFailed | Conflict, values: Any
) -> Template:
    """The round page again, the problem at the top and beside the form it came from."""
    if isinstance(exc, ValidationFailed):
        return await _round_page(
            round_id,
            status_code=422,
            form_error=exc.detail,
            errors={f"{action}-reason": exc.field_errors.get("reason", exc.detail)},
            values={f"{action}-reason": values.get("reason", "")},
        )
    return await _round_page(round_id, status_code=409, problem=exc.detail)


class RoundController(Controller):
    path = "/rounds"
    guards = [requires_role(Role.ADMIN, Role.FUNDER)]  # noqa: RUF012 - Litestar's API

    @get("/{round_id:int}", name="round")
    async def detail(self, request: Request[Any, Any, Any], round_id: RowId) -> Template:
        principal = signed_in(request)
        stored = await rounds.can_see_round(principal, round_id)
        pool = await get_pool(stored["pool"])
        return await _round_page(round_id, can_review=await may_review(principal, pool))

    @get("/{round_id:int}/lines.csv")
    async def lines_csv(self, request: Request[Any, Any, Any], round_id: RowId) -> Response[bytes]:
        """The round's lines as the page lists them (largest first), with each line's reason
        in one sentence: for a board paper or a spreadsheet."""
        await rounds.can_see_round(signed_in(request), round_id)
        report = await rounds.round_report(round_id)
        lines = sorted(report.lines, key=lambda line: (-line.amount, line.organiser))
        total = sum(line.score for line in lines if line.score > 0)
        rows = [
            {
                "organiser": line.name,
                "code": line.organiser,
                "amount": major_amount(line.amount),
                "currency": report.currency,
                "residents": str(line.endorsers),
                "share": f"{100 * line.score / total:.1f}" if total > 0 and line.score > 0 else "",
                "score": format_score(line.score),
                "state": allocation_state_label(line.state or ""),
                "why": explain(line.explanation, report.currency).summary,
            }
            for line in lines
        ]
        name = f"round-{round_id}-{report.period.start:%Y-%m}-lines.csv"
        return csv_download(
            write_csv(list(LINE_CSV_HEADINGS), rows, headings=LINE_CSV_HEADINGS), name
        )

    @post("/{round_id:int}/pause")
    async def pause(self, request: Request[Any, Any, Any], round_id: RowId) -> Any:
        data = await read_form(request)
        try:
            paused = await review.pause_round(signed_in(request), round_id, data.get("reason", ""))
        except (ValidationFailed, Conflict) as exc:
            return await _refused(round_id, "pause", exc, data)
        if not paused:  # a second press, or someone else first
            return flash_redirect(request, f"/rounds/{round_id}", "This round was already paused")
        return flash_redirect(
            request,
            f"/rounds/{round_id}",
            "Round paused",
            "Nothing in it is approved or paid while it is paused. Resume or cancel it, saying why.",
        )

    @post("/{round_id:int}/resume")
    async def resume(self, request: Request[Any, Any, Any], round_id: RowId) -> Any:
        principal = signed_in(request)
        stored = await rounds.can_review_round(principal, round_id)
        data = await read_form(request)
        try:
            reason = review.read_reason(data.get("reason", ""))
            if data.get("confirmed") != "yes" and review.resume_approves_at_once(stored):
                # Resuming now approves it within minutes: say so, and ask once more.
                return render(CHECK_PAGE, round=stored, action="resume", reason=reason)
            resumed = await review.resume_round(principal, round_id, reason)
        except (ValidationFailed, Conflict) as exc:
            return await _refused(round_id, "resume", exc, data)
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

    @post("/{round_id:int}/cancel")
    async def cancel(self, request: Request[Any, Any, Any], round_id: RowId) -> Any:
        principal = signed_in(request)
        stored = await rounds.can_review_round(principal, round_id)
        data = await read_form(request)
        try:
            reason = review.read_reason(data.get("reason", ""))
            if stored["status"] == "cancelled":
                return flash_redirect(
                    request, f"/rounds/{round_id}", "This round was already cancelled"
                )
            if data.get("confirmed") != "yes":
                if stored["status"] != "paused":
                    raise Conflict(
                        "Only a paused round can be cancelled: pause it first, saying why."
                    )
                return render(CHECK_PAGE, round=stored, action="cancel", reason=reason)
            await cancel_round(settings_of(request), principal, round_id, reason)
        except (ValidationFailed, Conflict) as exc:
            return await _refused(round_id, "cancel", exc, data)
        return flash_redirect(
            request,
            f"/rounds/{round_id}",
            "Round cancelled",
            "Its money is back in the pool's available balance; residents who asked to hear back are told.",
        )


@get("/admin/rounds", name="admin_rounds", guards=[requires_role(Role.ADMIN)])
async def admin_rounds() -> Template:
    return render("allocation/admin_rounds.html", rounds=await rounds.list_rounds(limit=100))
