"""Residents' rights by SMS: MYDATA (what is held) and DELETE, confirmed with YES, which
erases everything for the number exactly as `groundswell resident erase` does.

The handlers sit in `sms.HANDLERS` like every other command; a YES that answers a DELETE
in time is routed here by the RESUME handler.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from groundswell.core.clock import now
from groundswell.vouching.messages import render
from groundswell.vouching.recording import claim_resident
from groundswell.vouching.residents import erase_voice
from groundswell.vouching.self_service import held_for, my_data_text
from groundswell.vouching.tables import Endorsement, Resident, SubjectVoice

if TYPE_CHECKING:
    from groundswell.vouching.sms import Incoming

# Long enough to read the question and answer, short enough that a YES sent much later for
# something else (hearing back) is not taken as "erase everything".
ERASE_CONFIRM_WINDOW = timedelta(minutes=10)


async def my_data(msg: Incoming) -> str:
    return my_data_text(await held_for(msg.voice), msg.lang)


async def ask_to_erase(msg: Incoming) -> str:
    """DELETE: nothing is erased yet; the question says what YES will erase."""
    if msg.resident is None:
        resident_id, _ = await claim_resident(msg.voice)
    else:
        resident_id = msg.resident["id"]
    await Resident.update({Resident.erase_requested_at: now()}).where(Resident.id == resident_id)
    count = await Endorsement.count().where(
        Endorsement.resident == resident_id
    ) + await SubjectVoice.count().where(SubjectVoice.resident == resident_id)
    return render_erase_confirm(msg.lang, count)


def render_erase_confirm(lang: str, count: int) -> str:
    return render("erase_confirm", lang, count=count)


def erase_pending(msg: Incoming) -> bool:
    """Whether this sender texted DELETE within ERASE_CONFIRM_WINDOW."""
    asked = msg.resident["erase_requested_at"] if msg.resident else None
    return asked is not None and now() - asked <= ERASE_CONFIRM_WINDOW


async def erase_confirmed(msg: Incoming) -> str:
    await erase_voice(msg.voice)
    return render("erased", msg.lang)
