"""The optional 0-10 question on the web vouch form: validated, kept with the voice, replaced
by the resident's next web vouch, kept by an SMS one, in their export and gone when erased."""

from __future__ import annotations

import pytest

from groundswell.settings import Settings
from groundswell.vouching import residents
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Endorsement, WebVerification
from tests.helpers import WebClient, field_error
from tests.integration.vouching.test_web_vouching import FORM, NUMBER, code_sent, confirm, start


async def vouch_on_the_web(client: WebClient, score: str | None) -> None:
    form = dict(FORM) if score is None else {**FORM, "score": score}
    token = await start(client, form)
    done = await confirm(client, token, await code_sent())
    assert done.status_code == 200, done.text[-500:]


async def test_the_question_comes_after_the_open_prompt_and_is_optional(
    client: WebClient, amina: str
) -> None:
    page = (await client.get("/vouch/AMINA-7K")).text
    question = page.index("How likely are you to tell a neighbour to go to Amina Hussein?")
    assert page.index('name="testimony"') < question < page.index('name="phone"')
    assert "(optional)" in page and 'id="score-none" name="score" value="" checked' in page
    assert page.count('name="score"') == 12  # 0..10 and "rather not say"


@pytest.mark.parametrize("given", ["11", "-1", "7.5", "seven", "１"])
async def test_anything_but_a_whole_number_from_0_to_10_is_a_clear_error(
    client: WebClient, amina: str, given: str
) -> None:
    response = await client.submit("/vouch/AMINA-7K", {**FORM, "score": given})
    assert response.status_code == 422
    assert field_error(response.text, "score") == (
        "Choose a whole number from 0 to 10, or leave this question out."
    )
    assert 'href="#f-score"' in response.text  # the summary links to the question
    assert FORM["testimony"] in response.text  # the words are kept
    assert await WebVerification.count() == 0


@pytest.mark.parametrize(("given", "stored"), [("0", 0), ("10", 10), (" 9 ", 9), ("", None)])
async def test_an_answer_is_kept_with_the_voice(
    client: WebClient, amina: str, given: str, stored: int | None
) -> None:
    await vouch_on_the_web(client, given)
    [row] = await Endorsement.select(Endorsement.score)
    assert row["score"] == stored


async def test_no_answer_at_all_is_fine(client: WebClient, amina: str) -> None:
    await vouch_on_the_web(client, None)
    [row] = await Endorsement.select(Endorsement.score)
    assert row["score"] is None


async def test_latest_web_answer_counts_and_sms_keeps_it(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await vouch_on_the_web(client, "3")
    await vouch_on_the_web(client, "9")
    [row] = await Endorsement.select(Endorsement.score)
    assert row["score"] == 9
    # The SMS flow does not ask the question, so new words by text keep the last answer.
    await handle_sms(settings, message_sid="SMs1", from_number=NUMBER, body="AMINA-7K still great")
    [row] = await Endorsement.select(Endorsement.score, Endorsement.testimony)
    assert row == {"score": 9, "testimony": "still great"}
    # Leaving it out on the web takes the answer back.
    await vouch_on_the_web(client, "")
    [row] = await Endorsement.select(Endorsement.score)
    assert row["score"] is None


async def test_export_includes_the_answer_and_erase_removes_it(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await vouch_on_the_web(client, "8")
    exported = await residents.export(settings, NUMBER)
    [endorsement] = exported["endorsements"]
    assert endorsement["score"] == 8 and endorsement["organiser"] == "AMINA-7K"
    await residents.erase(settings, NUMBER)
    assert await Endorsement.count() == 0
    assert await WebVerification.count() == 0
