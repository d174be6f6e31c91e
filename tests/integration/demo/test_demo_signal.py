"""The demo shows the listening figures: web voices with 0-10 answers and a flagged burst."""

from __future__ import annotations

import io

from groundswell.allocation.signal import round_signal
from groundswell.allocation.tables import Round
from groundswell.demo.bulk import Progress
from groundswell.demo.loader import load_demo
from groundswell.demo.residents import BURST_SIZE
from groundswell.vouching.tables import Endorsement


async def test_demo_has_answers_and_a_burst_once() -> None:
    await load_demo(progress=Progress(io.StringIO()))
    answered = await Endorsement.count().where(Endorsement.score.is_not_null())
    assert answered > 100
    # Only the web asks the question.
    assert not await Endorsement.exists().where(
        Endorsement.score.is_not_null() & (Endorsement.channel == "sms")
    )
    burst = await Endorsement.select(Endorsement.organiser).where(
        (Endorsement.moderation == "flagged")
        & (Endorsement.channel == "web")
        & (Endorsement.score == 10)
        & (Endorsement.verification == "sms_code")
        & (Endorsement.state == "active")
    )
    assert len(burst) >= BURST_SIZE - 15
    # The round in review now (Teesside) holds the burst back, and says so.
    teesside = await Round.select(Round.id).where(Round.status == "computed").first()
    assert teesside is not None
    signal = await round_signal(teesside["id"])
    assert signal is not None and signal.voices > 0
    assert any(o.flags.get("burst", 0) >= 3 and o.held_back_total >= 3 for o in signal.flagged)
    before = await Endorsement.count()
    report = await load_demo(progress=Progress(io.StringIO()))
    assert not report.created and await Endorsement.count() == before
