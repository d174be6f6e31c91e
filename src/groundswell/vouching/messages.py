"""Every text message Groundswell sends to residents, in English and Welsh.

Replies are kept to two SMS segments at most with realistic worst-case placeholder values
(the tests check every message in every language), so they arrive as one message and cost
little. Two things make that tight and are worth knowing when editing:

* English is written in the GSM-7 alphabet (straight apostrophes, no dashes or ellipses):
  one character outside it, anywhere, switches the whole message to UCS-2, which fits 70
  characters per message instead of 160. An organiser whose name has such a character (Siân)
  switches it too; the English texts cannot all stay within two segments then.
* Welsh needs ŵ, ŷ, â, ô... which GSM-7 lacks, so Welsh texts are always UCS-2 and have to
  fit 134 characters including the placeholders.

Command words (WITHDRAW, YES, SHARE, STOP, HELP, START) stay in English in both languages: they are what
the SMS grammar and the carrier understand.

The Welsh is in the catalogue shared with the pages (core/i18n.py), each text under the
context ``sms:<message id>`` so a translator sees which message it is; its drafts are marked
fuzzy there until a Welsh speaker has checked them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from groundswell.core.i18n import DEFAULT_LANG, LANGS, primary_language, translations

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "MESSAGES",
    "is_gsm7",
    "placeholders",
    "render",
    "sms_segments",
]

# The English texts; `scripts/i18n` extracts them into the catalogue (core/i18n_extract.py).
_ENGLISH: dict[str, str] = {
    # A vouch with words was recorded.
    "thanks": "Thank you. Your words about {organiser} are in. Reply SHARE to let funders read "
    "them (never your number), YES to hear what happens, WITHDRAW {code} to take them "
    "back.",
    # A vouch for a building (a Right to Bid, issue #18) was recorded. {organiser} is the
    # building's name, cut to fit: the placeholder is shared so the size tests cover it.
    "building_thanks": "Thank you. Your words about {organiser} are counted for the council. Reply SHARE "
    "to let them be shown (never your number), WITHDRAW {code} to take them back.",
    # A building's code alone: the words have to come with it.
    "building_words_needed": "Thank you. Please text {code} and a few words about {organiser} in one message, "
    "e.g. {code} my kids learnt to read here",
    "building_shared": "Thank you. Your words about {organiser} can now be shown to the council and on "
    "the bid, never your name or number. Reply WITHDRAW {code} to take them back.",
    # The resident sent only a code: ask about what happened, not for a rating.
    "listening_prompt": "Tell us about a time {organiser} helped or changed something round here. "
    "What happened? Reply with your words within 24 hours.",
    "withdrawn_one": "Done. Your words about {organiser} are withdrawn and will not count.",
    # WITHDRAW ALL: every vouch withdrawn; texts carry on (STOP is for texts).
    "withdrawn_all": "Done. All your words ({count}) are withdrawn and will not count. We can still "
    "text you: reply STOP to stop texts.",
    # A bare WITHDRAW: which words? Never everything unless the resident says ALL.
    "withdraw_which": "Which words? You have words for {codes}. Reply WITHDRAW and a code, e.g. "
    "WITHDRAW {code}, or WITHDRAW ALL to take back all of them.",
    "nothing_to_withdraw_any": "We have no words from this phone that count, so there is nothing to withdraw.",
    # STOP and the carrier's words: no more texts. The words stay; they were given freely.
    "texts_stopped": "Done. We will not text you again. Your words still count: reply WITHDRAW to take "
    "them back, START to get texts again.",
    # A number that cannot vouch (GROUNDSWELL_VOUCH_REGIONS, mobiles only): say it is the number.
    "vouch_refused_not_mobile": "Sorry, this number can't be used to vouch because it is not a mobile number "
    "(landlines and 070 numbers can't vouch). Please text from your own mobile.",
    "vouch_refused_region": "Sorry, this number can't be used to vouch because it is not a mobile number "
    "from {regions}. Only local mobile numbers can vouch.",
    # MYDATA / FYNATA: what is held, built from the fragments below to fit two segments.
    "my_data": "We hold for this number: {details}. Reply DELETE to erase it all.",
    "my_data_none": "We hold no words or settings for this number. Text an organiser's code and a few "
    "words to vouch.",
    "my_data_shared": "funders may read",
    "my_data_private": "counted, not shown",
    # A building's voice whose words may go in the bid's evidence pack (SHARE / the web form).
    "my_data_building_public": "words public",
    "my_data_withdrawn": "withdrawn",
    "my_data_hear_back_yes": "hear back: yes",
    "my_data_hear_back_no": "hear back: no",
    "my_data_texts_stopped": "texts stopped",
    "my_data_more": "{count} more at /my-voice",
    # DELETE / DILEU: nothing is erased until YES comes back in time.
    "erase_confirm": "Reply YES within 10 minutes to erase everything we hold for this number: all your "
    "words ({count}), settings and messages. This cannot be undone.",
    "erased": "Done. We have erased everything we held for this number, and your words no "
    "longer count. Thank you for taking part.",
    "resumed": "Welcome back. We can text you again. Reply STOP at any time to stop.",
    "help": "Groundswell: text an organiser's code and a few words about their work, "
    "e.g. AMINA-7K she got the lights fixed. Reply SHARE to let funders read your last "
    "words, WITHDRAW to take your words back, MYDATA to see what we hold, STOP to stop "
    "texts, CYMRAEG for Welsh.",
    # The resident chose the language of our replies (CYMRAEG / ENGLISH).
    "language_set": "OK, we will text you in English. Text CYMRAEG for Welsh.",
    "unknown": "Sorry, we did not understand. Text the organiser's code and a few words, "
    "e.g. AMINA-7K she got the lights fixed",
    "unknown_code": "Sorry, we could not find the code {code}. Please check it and send it again "
    "with your words.",
    # The code names an organiser who has left the role (issue #16): kindly, no vouch taken.
    "organiser_left": "Thank you. {organiser} has left the organiser role, so we are not taking new "
    "vouches for them. If another organiser helped you, text their code.",
    "self_vouch_refused": "Thank you, but organisers cannot vouch for themselves. "
    "Ask the people you work with to text your code.",
    "rate_limited": "You have sent a lot of messages. Please wait an hour and try again.",
    "verification_code": "Your Groundswell code is {code}. It expires in 10 minutes.",
    # A second vouch for the same organiser: one voice per phone, the latest words count.
    "already_replaced": "Thank you. Your new words about {organiser} replace your earlier ones. "
    "Reply SHARE to let funders read them, WITHDRAW {code} to take them back.",
    # SHARE after a thank-you: funders may read the words just sent (redacted, anonymous).
    "shared": "Thank you. Funders can now read your words about {organiser}, never your name or "
    "number. Reply WITHDRAW {code} to take them back.",
    # SHARE with no words from this phone waiting for it.
    "nothing_to_share": "We have no words from this phone to share. Text an organiser's code and a few "
    "words about their work first.",
    # YES after a thank-you: the resident opted in to hear back after the round.
    "hear_back_confirmed": "Thank you. We will text you after the next funding round with what residents "
    "said and what happened. Reply STOP to stop texts.",
    # WITHDRAW <code> when there is nothing from this phone for that organiser.
    "nothing_to_withdraw": "We have no words from this phone for {code}, so there is nothing to withdraw.",
    # A picture with no text: only words can be read.
    "media_only": "Thank you, but we can only read text. Send the organiser's code and a few words, "
    "e.g. AMINA-7K she got the lights fixed",
    # After a round is approved, to residents who asked to hear back: what their voices did.
    "round_result_funded": "Groundswell: {count} neighbours spoke up for {organiser}. Their work continues: "
    "{amount} for the next {period}. Thank you. Reply STOP to stop these texts.",
    "round_result_unfunded": "Groundswell: {count} neighbours spoke up for {organiser}, short of the {needed} "
    "needed, so no funding this round. Your words still count next time. Reply STOP to stop texts.",
    # A paused round the funder (or an administrator) cancelled: say so plainly.
    "round_cancelled": "Groundswell: this funding round for {organiser} was cancelled by the funder, so no "
    "money went out from it. Your words still count next round. Reply STOP to stop texts.",
}


def _texts(message_id: str, english: str) -> Mapping[str, str]:
    texts = {DEFAULT_LANG: english}
    for lang in LANGS:
        entry = translations(lang).get((f"sms:{message_id}", english))
        if entry is not None:
            texts[lang] = entry.text
    return MappingProxyType(texts)


MESSAGES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {key: _texts(key, text) for key, text in _ENGLISH.items()}
)

_FORMATTER = string.Formatter()


def render(message_id: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    """The text of ``message_id`` in ``lang`` with its placeholders filled in.

    ``lang`` may be a tag such as "cy-GB"; a language we do not have falls back to English,
    since a resident must always get an answer. An unknown ``message_id`` or a missing
    placeholder is a programming error and raises ``KeyError`` naming what is missing.
    Extra parameters are ignored, so callers can pass one set of values to any message.
    """
    try:
        texts = MESSAGES[message_id]
    except KeyError:
        raise KeyError(f"no SMS message with id {message_id!r}") from None
    text = texts.get(primary_language(lang), texts[DEFAULT_LANG])
    missing = placeholders(text) - params.keys()
    if missing:
        raise KeyError(f"message {message_id!r} needs {', '.join(sorted(missing))}")
    return text.format_map(params)


def placeholders(text: str) -> frozenset[str]:
    """The placeholder names used in a catalogue text."""
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(text) if name)


# GSM 03.38 default alphabet (one septet each) and its extension table (escape + septet).
_GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED: Final = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE, _GSM7_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67


def is_gsm7(text: str) -> bool:
    """True when ``text`` can be sent in the GSM-7 alphabet (with its extension table)."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text)


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` is sent as (0 for an empty text: nothing is sent).

    GSM-7 when every character allows it: 160 septets in one message, 153 per segment when
    split, extension characters (€ [ ] { } ^ ~ | \\) taking two. Otherwise UCS-2: 70 UTF-16
    code units, 67 per segment when split, emoji outside the BMP taking two. A two-unit
    character is never split across segments, as phones could not reassemble it, so it
    moves whole to the next segment.
    """
    if not text:
        return 0
    if is_gsm7(text):
        sizes = [2 if ch in _GSM7_EXTENDED else 1 for ch in text]
        single, multi = _GSM7_SINGLE, _GSM7_MULTI
    else:
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, multi = _UCS2_SINGLE, _UCS2_MULTI
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments
