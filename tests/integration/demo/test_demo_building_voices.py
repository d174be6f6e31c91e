"""The demo's branch library has residents' voices (issue #18), and none of them is an
endorsement of any organiser."""

from groundswell.demo.loader import load_demo
from groundswell.programme.building_voices import building_voices
from groundswell.programme.tables import AssetBid
from groundswell.vouching.tables import Endorsement, SubjectVoice


async def test_the_demo_library_has_voices_for_its_page_and_evidence_pack() -> None:
    endorsements_before = await Endorsement.count()
    await load_demo()
    library = (
        await AssetBid.select(AssetBid.id)
        .where(AssetBid.asset_name == "Pallister Library (branch)")
        .first()
    )
    assert library is not None
    voices = await building_voices(library["id"])
    assert voices.count == 6 and len(voices.by_month) >= 4
    assert len(voices.public_words) == 4 and ("Pallister", 3) in voices.places
    assert await SubjectVoice.count() == 6
    assert await Endorsement.count() >= endorsements_before
    # Every bid the demo made has its code.
    assert not await AssetBid.exists().where(AssetBid.vouch_subject.is_null())
