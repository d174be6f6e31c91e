"""Lessons pages: the programme-wide list with its filters and CSV, and the forms that write
and change a lesson. Thin: parse, call a service, render; a form with a problem comes back
with what was typed and a message per field (422); a saved one redirects (post/redirect/get)
to the page it was started from, which says so in a banner."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.enums import MediaType
from litestar.response import Redirect, Template

from groundswell.community.codes import normalise_code
from groundswell.community.services import list_localities
from groundswell.community.tables import Locality, Organiser
from groundswell.core.csv import csv_download, write_csv
from groundswell.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from groundswell.core.ids import parse_row_id
from groundswell.core.pages import read_form, render
from groundswell.core.principal import Principal
from groundswell.core.web import RowId, requires_login, signed_in
from groundswell.lessons import reading, subjects, writing
from groundswell.lessons.filters import ACTED_LABELS, parse_query
from groundswell.lessons.permissions import WriterScope, writer_scope
from groundswell.lessons.states import TAG_LABELS, VOICE_LABELS
from groundswell.lessons.tables import ACTION_MAX, NOTE_MAX

FORM = "lessons/form.html"
CHOOSE = "lessons/choose.html"
BACK = ("organiser", "place", "lessons")
# Lessons may name people's situations: never kept by a browser or a shared cache.
PRIVATE = {"cache-control": "no-store"}


def _back(value: object, default: str) -> str:
    return str(value) if value in BACK else default


def _done_url(back: str, subject: subjects.Subject, outcome: str) -> str:
    """Where a saved form goes: the page it was started from, with the banner's word."""
    banner = urlencode({"lesson": outcome})
    if back == "organiser" and subject.organiser is not None:
        return f"/organisers/{subject.organiser['code']}?{banner}"
    if back == "place":
        return f"/localities/{subject.locality['id']}?{banner}"
    return f"/lessons?{banner}"


def _form_context(
    scope: WriterScope, subject: subjects.Subject, choices: list[dict[str, Any]]
) -> dict[str, Any]:
    organisers = [subject.organiser] if subject.organiser and not choices else choices
    return {
        "subject": subject,
        "choices": choices,
        "may_record_words": any(scope.may_record_organisers_words(o) for o in organisers if o),
        "tag_options": list(TAG_LABELS.items()),
        "voice_labels": VOICE_LABELS,
        "labels": writing.FIELD_LABELS,
        "note_max": NOTE_MAX,
        "action_max": ACTION_MAX,
    }


async def _choose_page(principal: Principal, status_code: int = 200, **context: Any) -> Template:
    scope = await writer_scope(principal)
    if not scope.anywhere:
        raise Forbidden(
            "You can record lessons about the places your pools listen to, or where the "
            "organisers you host work; there are none yet."
        )
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return render(
        CHOOSE,
        status_code=status_code,
        places=await subjects.writable_places(scope),
        labels=writing.FIELD_LABELS,
        **context,
    )


class LessonController(Controller):
    include_in_schema = False
    path = "/lessons"
    guards = (requires_login,)

    @get("/", name="lessons")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        raw = {key: request.query_params.get(key) for key in request.query_params}
        query, errors = parse_query(raw)
        page = None if errors else await reading.lessons_page(query)
        principal = signed_in(request)
        scope = await writer_scope(principal)
        return Template(
            "lessons/index.html",
            context={
                "query": query,
                "errors": errors,
                "page": page,
                "scope": scope,
                "places": await list_localities(),
                "tag_options": list(TAG_LABELS.items()),
                "acted_options": list(ACTED_LABELS.items()),
                "page_size": reading.PAGE_SIZE,
                "labels": {
                    "locality": "Place",
                    "tag": "Tag",
                    "from": "Period from",
                    "to": "Period to",
                    "acted": "Acted on",
                    "organiser": "Organiser's code",
                    "page": "Page",
                },
                "banner": request.query_params.get("lesson"),
            },
            status_code=422 if errors else 200,
            headers=PRIVATE,
            media_type=MediaType.HTML,
        )

    @get("/new")
    async def new(self, request: Request[Any, Any, Any]) -> Template:
        """With ?organiser=CODE or ?locality=ID the form; with neither, choose a place first."""
        principal = signed_in(request)
        scope = await writer_scope(principal)
        code_raw = request.query_params.get("organiser") or ""
        locality_raw = request.query_params.get("locality") or ""
        organiser = None
        if code_raw:
            code = normalise_code(code_raw[:40])
            row = (
                await Organiser.select(Organiser.id).where(Organiser.code == code).first()
                if code
                else None
            )
            organiser = await subjects.organiser_by_id(row["id"]) if row else None
            if organiser is None:
                raise NotFound("There is no organiser with that code.")
            locality_id = organiser["locality_id"]
        elif locality_raw:
            parsed = parse_row_id(locality_raw)
            if parsed is None:
                raise NotFound("There is no such place.")
            locality_id = parsed
        else:
            # The place chooser; sent without a place, it asks again at the field.
            asked = "locality" in request.query_params
            return await _choose_page(
                principal,
                status_code=422 if asked else 200,
                errors={"locality": "Choose a place."} if asked else {},
                form_error="Choose a place first." if asked else None,
                back=_back(request.query_params.get("back"), "lessons"),
            )
        subject = subjects.Subject(
            locality=await subjects.get_locality(locality_id), organiser=organiser
        )
        writing.check_may_write(scope, subject)
        choices = await subjects.choices_for(scope, locality_id)
        values = writing.default_values()
        values.update(locality=locality_id, organiser=organiser["id"] if organiser else "")
        back = _back(
            request.query_params.get("back"), "organiser" if organiser is not None else "place"
        )
        return render(
            FORM,
            mode="new",
            action="/lessons",
            values=values,
            errors={},
            back=back,
            **_form_context(scope, subject, choices),
        )

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Any:
        principal = signed_in(request)
        data = await read_form(request, "tags")
        back = _back(data.get("back"), "place")
        try:
            lesson_id = await writing.create_lesson(principal, data)
        except ValidationFailed as exc:
            return await self._form_again(principal, data, exc, back)
        lesson = await writing.get_lesson(lesson_id)
        return Redirect(_done_url(back, await writing.subject_of(lesson), "saved"), status_code=303)

    async def _form_again(
        self, principal: Principal, data: dict[str, Any], exc: DomainError, back: str
    ) -> Template:
        scope = await writer_scope(principal)
        locality_id = parse_row_id(data.get("locality"))
        locality = (
            await Locality.select().where(Locality.id == locality_id).first()
            if locality_id
            else None
        )
        if locality is None:
            # Without a place there is no form to show again: choose one first.
            return await _choose_page(
                principal,
                status_code=422,
                values={"locality": data.get("locality", "")},
                errors={
                    "locality": exc.field_errors.get("locality", "Choose a place from the list.")
                },
                form_error=exc.detail,
                back=back,
            )
        subject = subjects.Subject(locality=locality)
        choices = await subjects.choices_for(scope, locality["id"])
        return render(
            FORM,
            status_code=422,
            mode="new",
            action="/lessons",
            values=data,
            errors=exc.field_errors,
            form_error=exc.detail,
            back=back,
            **_form_context(scope, subject, choices),
        )

    @get("/{lesson_id:int}/edit")
    async def edit(self, request: Request[Any, Any, Any], lesson_id: RowId) -> Template:
        principal = signed_in(request)
        lesson = await writing.get_lesson(lesson_id)
        scope = await writer_scope(principal)
        writing.check_may_edit(scope, lesson)
        subject = await writing.subject_of(lesson)
        default = "organiser" if subject.organiser else "place"
        return render(
            FORM,
            mode="edit",
            action=f"/lessons/{lesson_id}/edit",
            lesson=lesson,
            values=writing.form_values(lesson),
            errors={},
            back=_back(request.query_params.get("back"), default),
            **_form_context(scope, subject, []),
        )

    @post("/{lesson_id:int}/edit")
    async def update(self, request: Request[Any, Any, Any], lesson_id: RowId) -> Any:
        principal = signed_in(request)
        data = await read_form(request, "tags")
        lesson = await writing.get_lesson(lesson_id)
        subject = await writing.subject_of(lesson)
        back = _back(data.get("back"), "organiser" if subject.organiser else "place")
        try:
            changed = await writing.update_lesson(principal, lesson_id, data)
        except ValidationFailed as exc:
            scope = await writer_scope(principal)
            return render(
                FORM,
                status_code=422,
                mode="edit",
                action=f"/lessons/{lesson_id}/edit",
                lesson=lesson,
                values=data,
                errors=exc.field_errors,
                form_error=exc.detail,
                back=back,
                **_form_context(scope, subject, []),
            )
        return Redirect(
            _done_url(back, subject, "updated" if changed else "unchanged"), status_code=303
        )


@get("/lessons.csv", guards=[requires_login], include_in_schema=False)
async def lessons_csv(request: Request[Any, Any, Any]) -> Response[Any]:
    """Every lesson the filters match, for a learning review; formula-safe cells."""
    raw = {key: request.query_params.get(key) for key in request.query_params}
    query, errors = parse_query(raw)
    errors.pop("page", None)  # the CSV has every page
    if errors:
        raise ValidationFailed("The filters have a problem.", field_errors=errors)
    rows = reading.csv_rows(await reading.all_lessons(replace(query, page=1)))
    return csv_download(
        write_csv(reading.CSV_COLUMNS, rows, headings=reading.CSV_HEADINGS), "lessons.csv"
    )
