from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Template

from groundswell.allocation.history import locality_funding, organiser_funding
from groundswell.community import directory, services
from groundswell.community.posters import display_sms_number
from groundswell.community.standing import funding_standing
from groundswell.core.clock import today
from groundswell.core.cursor import decode_cursor, encode_cursor
from groundswell.core.errors import DomainError, Forbidden, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.pages import is_htmx_partial, read_form, render, render_form_error
from groundswell.core.principal import Principal, Role
from groundswell.core.web import RowId, principal_of, requires_role, settings_of, signed_in
from groundswell.lessons import reading as lessons
from groundswell.listening import benchmark
from groundswell.listening import services as listening
from groundswell.vouching import queries

WORDS_PAGE = 5  # words a page: how to vouch stays near the top on a phone; "More words" for more
# The same URL answers htmx with the words alone: caches must keep the two apart.
WORDS_VARY = {"vary": "HX-Request, HX-History-Restore-Request"}


def _may_manage(principal: Principal | None, host_id: int) -> bool:
    return principal is not None and principal.can_manage_host(host_id)


class LocalityController(Controller):
    include_in_schema = False
    path = "/localities"

    @get("/", name="localities")
    async def index(self) -> Template:
        return render(
            "community/localities.html",
            localities=await services.list_localities(),
            values={},
            errors={},
        )

    @post("/", guards=[requires_role(Role.ADMIN)])
    async def create(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        try:
            locality_id = await services.create_locality(signed_in(request), data)
        except DomainError as exc:
            return render_form_error(
                "community/localities.html", exc, data, localities=await services.list_localities()
            )
        return flash_redirect(
            request, f"/localities/{locality_id}", f"Place “{data.get('name', '').strip()}” added"
        )

    @get("/{locality_id:int}", name="locality")
    async def detail(self, request: Request[Any, Any, Any], locality_id: RowId) -> Template:
        locality = await services.get_locality(locality_id)
        organisers = await services.list_organisers(locality_id=locality_id)
        return render(
            "community/locality.html",
            locality=locality,
            place=await listening.place_voices(organisers),
            benchmark=await benchmark.locality_benchmark(
                locality_id,
                organisers,
                threshold=settings_of(request).listening_min_answers,
                median_seconds=benchmark.median_seconds_for(settings_of(request)),
            ),
            funding=await locality_funding(locality_id),
            # Lessons (issue #18): signed-in readers only; None for the public.
            lessons=await lessons.place_panel(principal_of(request), locality_id),
        )


class HostController(Controller):
    include_in_schema = False
    path = "/hosts"

    @get("/", name="hosts", guards=[requires_role(Role.ADMIN)])
    async def index(self) -> Template:
        return render(
            "community/hosts.html", hosts=await services.list_hosts(), values={}, errors={}
        )

    @post("/", guards=[requires_role(Role.ADMIN)])
    async def create(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        try:
            host_id = await services.create_host(signed_in(request), data)
        except DomainError as exc:
            return render_form_error(
                "community/hosts.html", exc, data, hosts=await services.list_hosts()
            )
        return flash_redirect(
            request,
            f"/hosts/{host_id}",
            f"Host organisation “{data.get('name', '').strip()}” added",
        )

    @get("/{host_id:int}", name="host", guards=[requires_role(Role.ADMIN, Role.HOST)])
    async def detail(self, request: Request[Any, Any, Any], host_id: RowId) -> Template:
        principal = signed_in(request)
        if not principal.can_manage_host(host_id):
            raise Forbidden("You can only see your own host organisation.")
        host = await services.get_host(host_id)
        organisers = await services.list_organisers(host_ids=frozenset({host_id}))
        from groundswell.payments import statements

        received = await statements.payments_received(host_id)
        waiting = await statements.money_waiting(host_id, bool(host["stripe_payouts_enabled"]))
        statement_range = {
            "from": request.query_params.get("from") or date(today().year, 1, 1).isoformat(),
            "to": request.query_params.get("to") or today().isoformat(),
        }
        statement_error: ValidationFailed | None = None
        if "from" in request.query_params or "to" in request.query_params:
            # Sent back by the statement download with dates it could not use.
            try:
                statements.read_statement_range(statement_range["from"], statement_range["to"])
            except ValidationFailed as exc:
                statement_error = exc
        return render(
            "community/host.html",
            host=host,
            expected=await statements.money_expected(host_id),
            organisers=(await listening.place_voices(organisers)).organisers,
            received=received,
            waiting=waiting,
            today=today(),
            statement_range=statement_range,
            statement_error=statement_error.detail if statement_error else None,
            statement_errors=statement_error.field_errors if statement_error else {},
        )

    @get("/{host_id:int}/organisers/new", guards=[requires_role(Role.ADMIN, Role.HOST)])
    async def new_organiser(self, request: Request[Any, Any, Any], host_id: RowId) -> Template:
        principal = signed_in(request)
        if not principal.can_manage_host(host_id):
            raise Forbidden("You can only add organisers to your own host organisation.")
        host = await services.get_host(host_id)
        return render(
            "community/organiser_form.html",
            host=host,
            localities=await services.list_localities(),
            values={"host_id": host_id},
            errors={},
        )

    @post("/{host_id:int}/organisers", guards=[requires_role(Role.ADMIN, Role.HOST)])
    async def create_organiser(self, request: Request[Any, Any, Any], host_id: RowId) -> Any:
        principal = signed_in(request)
        host = await services.get_host(host_id)
        data = await read_form(request)
        data["host_id"] = host_id
        try:
            code = await services.create_organiser(principal, data)
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise
            return render_form_error(
                "community/organiser_form.html",
                exc,
                data,
                host=host,
                localities=await services.list_localities(),
            )
        return flash_redirect(
            request,
            f"/organisers/{code}",
            f"Organiser added with the vouching code {code}",
            "Residents text this code, or use the web address on the poster, to vouch.",
        )


class OrganiserController(Controller):
    include_in_schema = False
    path = "/organisers"

    @get("/", name="organisers")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """Organisers by name, searchable and filtered by place; htmx asks for the results
        alone, and the same URL without JavaScript gives the whole page."""
        raw = {key: request.query_params.get(key) for key in request.query_params}
        page = await directory.organiser_page(raw)
        partial = is_htmx_partial(request)
        headers = {"vary": "HX-Request, HX-History-Restore-Request"}
        if partial:
            headers["hx-push-url"] = "false" if page.errors else page.address
        return Template(
            "community/_organiser_results.html" if partial else "community/organisers.html",
            context={
                "page": page,
                "partial": partial,
                "localities": [] if partial else await services.list_localities(),
            },
            status_code=422 if page.errors else 200,
            headers=headers,
            media_type=MediaType.HTML,
        )

    @get("/{code:str}", name="organiser")
    async def detail(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        organiser = await services.get_organiser(code)
        # The public page, whoever reads it: words residents made public, never a name.
        # `?words=` keeps the page of words in the URL: "More words" works without
        # JavaScript, and htmx asks for the next page alone and appends it.
        words = await _public_words(organiser, request.query_params.get("words"))
        if is_htmx_partial(request):
            page = render("community/_organiser_words.html", organiser=organiser, words=words)
            page.headers.update(WORDS_VARY)
            return page
        number = settings_of(request).twilio_from_number.strip()
        page = render(
            "community/organiser.html",
            organiser=organiser,
            manage_link=_may_manage(principal_of(request), organiser["host_id"]),
            standing=funding_standing(
                organiser["status"], organiser["bursary_end"], organiser["locality_name"], today()
            ),
            words=words,
            sms_number=display_sms_number(number) if number else None,
            endorsers=await queries.endorser_count(organiser["id"]),
            voices=await listening.organiser_voices(organiser["id"]),
            benchmark=await benchmark.organiser_benchmark(
                organiser,
                threshold=settings_of(request).listening_min_answers,
                median_seconds=benchmark.median_seconds_for(settings_of(request)),
            ),
            funding=await organiser_funding(organiser["id"], principal_of(request)),
            # Lessons (issue #18): signed-in readers only; None for the public.
            lessons=await lessons.organiser_panel(principal_of(request), organiser),
        )
        page.headers.update(WORDS_VARY)
        return page


@dataclass
class PublicWords:
    """One page of an organiser's public words, newest first."""

    items: list[dict[str, Any]]
    more_url: str | None  # the next page, or None on the last
    later: bool  # this is not the first page (a link back to the newest is shown)
    invalid: bool = False  # the page link was not one we issued


async def _public_words(organiser: dict[str, Any], cursor: str | None) -> PublicWords:
    try:
        before = decode_cursor(cursor)
    except ValidationFailed:
        before, invalid = None, True
    else:
        invalid = False
    items, next_key = await queries.published_for_organiser(
        organiser["id"], audience=queries.Audience.PUBLIC, before=before, limit=WORDS_PAGE
    )
    next_cursor = encode_cursor(next_key)
    more_url = f"/organisers/{organiser['code']}?words={next_cursor}" if next_cursor else None
    return PublicWords(items, more_url, later=before is not None, invalid=invalid)
