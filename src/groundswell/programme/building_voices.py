"""Residents vouching for a building (issue #18): every asset bid has a vouching code, and
its voices (vouching's SubjectVoice rows) become the bid's evidence.

A building code has the organisers' NAME-XX shape, so one SMS grammar reads both, but its
suffix is a letter then a digit ("LIBRARY-K7"); organiser codes are a digit then a
character ("AMINA-7K", community.codes.generate_code), so the two never collide. The code
is also checked against organisers' codes when made, for codes typed in by hand.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import date
from typing import Any

from groundswell.community.codes import (
    CODE_SUFFIX_DIGITS,
    FALLBACK_NAME,
    NAME_MAX_LETTERS,
    NAME_MIN_LETTERS,
    Chooser,
    fold_accents,
)
from groundswell.community.tables import Organiser
from groundswell.core.clock import on_uk_clocks
from groundswell.programme.clocks import month_and_year
from groundswell.programme.evidence import BuildingVoices, PublicWords, folded_places
from groundswell.programme.tables import AssetBid
from groundswell.vouching.redact import redact
from groundswell.vouching.states import EndorsementState, ModerationStatus
from groundswell.vouching.tables import SubjectVoice, VouchSubject

BUILDING_SUFFIX_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"  # no I, L or O, as in organiser codes
# Words that name no particular building: "The Old Library" is LIBRARY-K7, not THE-K7.
_FILLER = frozenset({"THE", "OLD", "NEW", "AN", "OF", "AND", "ST", "FORMER", "YE"})


def building_name_part(asset_name: str) -> str:
    for word in asset_name.split():
        letters = "".join(ch for ch in fold_accents(word).upper() if "A" <= ch <= "Z")
        if len(letters) >= NAME_MIN_LETTERS and letters not in _FILLER:
            return letters[:NAME_MAX_LETTERS]
    return FALLBACK_NAME


def generate_building_code(asset_name: str, rng: Chooser | None = None) -> str:
    """A code such as ``LIBRARY-K7``: letter then digit (organiser codes: digit first)."""
    chooser: Chooser = rng if rng is not None else secrets
    suffix = chooser.choice(BUILDING_SUFFIX_LETTERS) + chooser.choice(CODE_SUFFIX_DIGITS)
    return f"{building_name_part(asset_name)}-{suffix}"


def is_building_code(code: str) -> bool:
    return len(code) > 3 and code[-3] == "-" and code[-2].isalpha() and code[-1].isdigit()


async def give_building_a_code(bid_id: int, asset_name: str, rng: Chooser | None = None) -> str:
    """Make the bid's vouching code; inside the caller's write transaction (the bid's own)."""
    for _ in range(50):
        code = generate_building_code(asset_name, rng)
        taken = await VouchSubject.exists().where(
            VouchSubject.code == code
        ) or await Organiser.exists().where(Organiser.code == code)
        if not taken:
            break
    else:  # 184 codes per name, nearly all taken: a longer name part is not possible
        raise RuntimeError(f"no free building code for {asset_name!r}")
    rows = await VouchSubject.insert(
        VouchSubject(kind="building", code=code, name=asset_name[:200])
    ).returning(VouchSubject.id)
    await AssetBid.update({AssetBid.vouch_subject: rows[0]["id"]}).where(AssetBid.id == bid_id)
    return code


def _counting() -> Any:
    # A voice the abuse signals flagged waits for a moderator (vouching/moderation.py).
    return (SubjectVoice.state == EndorsementState.ACTIVE.value) & (
        SubjectVoice.moderation != ModerationStatus.FLAGGED.value
    )


async def building_voices(bid_id: int) -> BuildingVoices:
    """The bid's voices that count now: how many residents, by month, from which places
    (only where the resident shared their place with funders) and the
    words they agreed to make public (redacted), newest first. Never who."""
    bid = await AssetBid.select(AssetBid.vouch_subject).where(AssetBid.id == bid_id).first()
    if bid is None or bid["vouch_subject"] is None:
        return BuildingVoices()
    rows = (
        await SubjectVoice.select(
            SubjectVoice.testimony,
            SubjectVoice.neighbourhood,
            SubjectVoice.show_public,
            SubjectVoice.show_funders,
            SubjectVoice.updated_at,
        )
        .where((SubjectVoice.subject == bid["vouch_subject"]) & _counting())
        .order_by(SubjectVoice.updated_at, ascending=False)
    )
    months: Counter[date] = Counter()
    places: Counter[str] = Counter()
    words: list[PublicWords] = []
    for row in rows:
        given_on = on_uk_clocks(row["updated_at"]).date()
        months[given_on.replace(day=1)] += 1
        place = " ".join(str(row["neighbourhood"]).split())
        if row["show_funders"] and place:
            places[place.title()] += 1
        if row["show_public"]:
            words.append(PublicWords(words=redact(str(row["testimony"])), given_on=given_on))
    return BuildingVoices(
        count=len(rows),
        by_month=tuple(sorted(months.items())),
        # As given; whoever shows them folds the small ones (evidence.folded_places).
        places=tuple(sorted(places.items())),
        public_words=tuple(words),
    )


async def building_code(bid_id: int) -> str | None:
    row = (
        await AssetBid.select(AssetBid.vouch_subject.code.as_alias("code"))
        .where(AssetBid.id == bid_id)
        .first()
    )
    return None if row is None else row["code"]


async def building_page(bid_id: int) -> dict[str, Any]:
    """What the bid's pages show of its voices: the code to text, how many residents, by
    month, from which places (folded as in the evidence pack) and the public words."""
    voices = await building_voices(bid_id)
    return {
        "code": await building_code(bid_id),
        "count": voices.count,
        "months": [(month_and_year(day), n) for day, n in voices.by_month],
        "places": folded_places(voices.places),
        "words": voices.public_words,
    }
