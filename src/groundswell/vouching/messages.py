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

The Welsh wording is a first draft and needs checking by a Welsh speaker before use.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "MESSAGES",
    "is_gsm7",
    "placeholders",
    "render",
    "sms_segments",
]

DEFAULT_LANG: Final = "en"
LANGS: Final = ("en", "cy")

_CATALOGUE: dict[str, dict[str, str]] = {
    # A vouch with words was recorded.
    "thanks": {
        "en": (
            "Thank you. Your words about {organiser} are in. Reply SHARE to let funders read "
            "them (never your number), YES to hear what happens, WITHDRAW {code} to take them "
            "back."
        ),
        "cy": (
            "Diolch am eich geiriau am {organiser}. SHARE i'w rhannu, YES am fwy, "
            "WITHDRAW {code} i'w dileu."
        ),
    },
    # A vouch for a building (a Right to Bid, issue #18) was recorded. {organiser} is the
    # building's name, cut to fit: the placeholder is shared so the size tests cover it.
    "building_thanks": {
        "en": (
            "Thank you. Your words about {organiser} are counted for the council. Reply SHARE "
            "to let them be shown (never your number), WITHDRAW {code} to take them back."
        ),
        "cy": (
            "Diolch am eich geiriau am {organiser}. SHARE i'w dangos, WITHDRAW {code} i'w dileu."
        ),
    },
    # A building's code alone: the words have to come with it.
    "building_words_needed": {
        "en": (
            "Thank you. Please text {code} and a few words about {organiser} in one message, "
            "e.g. {code} my kids learnt to read here"
        ),
        "cy": "Diolch. Tecstiwch {code} a gair neu ddau am {organiser} mewn un neges.",
    },
    "building_shared": {
        "en": (
            "Thank you. Your words about {organiser} can now be shown to the council and on "
            "the bid, never your name or number. Reply WITHDRAW {code} to take them back."
        ),
        "cy": (
            "Gellir dangos eich geiriau am {organiser} (nid eich enw na'ch rhif). "
            "WITHDRAW {code} i'w dileu."
        ),
    },
    # The resident sent only a code: ask about what happened, not for a rating.
    "listening_prompt": {
        "en": (
            "Tell us about a time {organiser} helped or changed something round here. "
            "What happened? Reply with your words within 24 hours."
        ),
        "cy": (
            "Soniwch am dro pan helpodd {organiser} neu newid rhywbeth yma. Beth ddigwyddodd? "
            "Atebwch o fewn 24 awr."
        ),
    },
    "withdrawn_one": {
        "en": "Done. Your words about {organiser} are withdrawn and will not count.",
        "cy": "Wedi'i wneud. Mae eich geiriau am {organiser} wedi'u tynnu'n ôl.",
    },
    # WITHDRAW ALL: every vouch withdrawn; texts carry on (STOP is for texts).
    "withdrawn_all": {
        "en": (
            "Done. All your words ({count}) are withdrawn and will not count. We can still "
            "text you: reply STOP to stop texts."
        ),
        "cy": (
            "Wedi'i wneud. Mae'ch holl eiriau ({count}) wedi'u tynnu'n ôl. STOP i stopio tecstiau."
        ),
    },
    # A bare WITHDRAW: which words? Never everything unless the resident says ALL.
    "withdraw_which": {
        "en": (
            "Which words? You have words for {codes}. Reply WITHDRAW and a code, e.g. "
            "WITHDRAW {code}, or WITHDRAW ALL to take back all of them."
        ),
        "cy": "Pa eiriau? Geiriau am {codes}. WITHDRAW a'r cod (e.e. WITHDRAW {code}) neu WITHDRAW ALL.",
    },
    "nothing_to_withdraw_any": {
        "en": "We have no words from this phone that count, so there is nothing to withdraw.",
        "cy": "Does dim geiriau gan y ffôn hwn, felly does dim i'w dynnu'n ôl.",
    },
    # STOP and the carrier's words: no more texts. The words stay; they were given freely.
    "texts_stopped": {
        "en": (
            "Done. We will not text you again. Your words still count: reply WITHDRAW to take "
            "them back, START to get texts again."
        ),
        "cy": (
            "Iawn, dim mwy o decstiau. Mae'ch geiriau'n dal i gyfrif. WITHDRAW i'w tynnu'n ôl, "
            "START i ailddechrau."
        ),
    },
    # A number that cannot vouch (GROUNDSWELL_VOUCH_REGIONS, mobiles only): say it is the number.
    "vouch_refused_not_mobile": {
        "en": (
            "Sorry, this number can't be used to vouch because it is not a mobile number "
            "(landlines and 070 numbers can't vouch). Please text from your own mobile."
        ),
        "cy": (
            "Sori, ni all y rhif hwn gefnogi am nad yw'n ffôn symudol. "
            "Tecstiwch o'ch ffôn symudol eich hun."
        ),
    },
    "vouch_refused_region": {
        "en": (
            "Sorry, this number can't be used to vouch because it is not a mobile number "
            "from {regions}. Only local mobile numbers can vouch."
        ),
        "cy": "Sori, ni all y rhif hwn gefnogi am nad yw'n ffôn symudol o {regions}.",
    },
    # MYDATA / FYNATA: what is held, built from the fragments below to fit two segments.
    "my_data": {
        "en": "We hold for this number: {details}. Reply DELETE to erase it all.",
        "cy": "Data'r rhif hwn: {details}. DILEU i ddileu'r cyfan.",
    },
    "my_data_none": {
        "en": (
            "We hold no words or settings for this number. Text an organiser's code and a few "
            "words to vouch."
        ),
        "cy": "Does gennym ddim geiriau na gosodiadau am y rhif hwn.",
    },
    "my_data_shared": {"en": "funders may read", "cy": "cyllidwyr yn darllen"},
    "my_data_private": {"en": "counted, not shown", "cy": "cyfrif, heb ddangos"},
    "my_data_withdrawn": {"en": "withdrawn", "cy": "tynnwyd yn ôl"},
    "my_data_hear_back_yes": {"en": "hear back: yes", "cy": "clywed yn ôl: ie"},
    "my_data_hear_back_no": {"en": "hear back: no", "cy": "clywed yn ôl: na"},
    "my_data_texts_stopped": {"en": "texts stopped", "cy": "tecstiau wedi stopio"},
    "my_data_more": {"en": "{count} more at /my-voice", "cy": "{count} arall ar /my-voice"},
    # DELETE / DILEU: nothing is erased until YES comes back in time.
    "erase_confirm": {
        "en": (
            "Reply YES within 10 minutes to erase everything we hold for this number: all your "
            "words ({count}), settings and messages. This cannot be undone."
        ),
        "cy": (
            "Atebwch YES o fewn 10 munud i ddileu popeth sydd gennym am y rhif hwn "
            "({count} o eiriau). Dim modd dadwneud."
        ),
    },
    "erased": {
        "en": (
            "Done. We have erased everything we held for this number, and your words no "
            "longer count. Thank you for taking part."
        ),
        "cy": "Wedi'i wneud. Rydym wedi dileu popeth oedd gennym am y rhif hwn. Diolch.",
    },
    "resumed": {
        "en": "Welcome back. We can text you again. Reply STOP at any time to stop.",
        "cy": "Croeso'n ôl. Gallwn eich tecstio eto. Atebwch STOP unrhyw bryd i stopio.",
    },
    "help": {
        "en": (
            "Groundswell: text an organiser's code and a few words about their work, "
            "e.g. AMINA-7K she got the lights fixed. Reply SHARE to let funders read your last "
            "words, WITHDRAW to take your words back, MYDATA to see what we hold, STOP to stop "
            "texts, CYMRAEG for Welsh."
        ),
        "cy": (
            "Tecstiwch god trefnydd a gair am eu gwaith, e.e. AMINA-7K trwsiodd y goleuadau. "
            "SHARE i rannu, WITHDRAW i dynnu'n ôl, STOP i stopio."
        ),
    },
    # The resident chose the language of our replies (CYMRAEG / ENGLISH).
    "language_set": {
        "en": "OK, we will text you in English. Text CYMRAEG for Welsh.",
        "cy": "Iawn, byddwn yn tecstio yn Gymraeg. Tecstiwch ENGLISH am Saesneg.",
    },
    "unknown": {
        "en": (
            "Sorry, we did not understand. Text the organiser's code and a few words, "
            "e.g. AMINA-7K she got the lights fixed"
        ),
        "cy": (
            "Sori, ni wnaethom ddeall. Tecstiwch god y trefnydd a gair neu ddau, "
            "e.e. AMINA-7K trwsiodd y goleuadau"
        ),
    },
    "unknown_code": {
        "en": (
            "Sorry, we could not find the code {code}. Please check it and send it again "
            "with your words."
        ),
        "cy": "Sori, ni allwn ddod o hyd i'r cod {code}. Gwiriwch ef a'i anfon eto.",
    },
    # The code names an organiser who has left the role (issue #16): kindly, no vouch taken.
    "organiser_left": {
        "en": (
            "Thank you. {organiser} has left the organiser role, so we are not taking new "
            "vouches for them. If another organiser helped you, text their code."
        ),
        "cy": (
            "Diolch. Mae {organiser} wedi gadael rôl y trefnydd, felly ni allwn gofnodi "
            "cefnogaeth newydd."
        ),
    },
    "self_vouch_refused": {
        "en": (
            "Thank you, but organisers cannot vouch for themselves. "
            "Ask the people you work with to text your code."
        ),
        "cy": (
            "Diolch, ond ni all trefnwyr gefnogi eu hunain. "
            "Gofynnwch i'r bobl rydych yn gweithio gyda nhw."
        ),
    },
    "rate_limited": {
        "en": "You have sent a lot of messages. Please wait an hour and try again.",
        "cy": "Rydych wedi anfon llawer o negeseuon. Arhoswch awr a rhowch gynnig arall.",
    },
    "verification_code": {
        "en": "Your Groundswell code is {code}. It expires in 10 minutes.",
        "cy": "Eich cod Groundswell yw {code}. Mae'n dod i ben mewn 10 munud.",
    },
    # A second vouch for the same organiser: one voice per phone, the latest words count.
    "already_replaced": {
        "en": (
            "Thank you. Your new words about {organiser} replace your earlier ones. "
            "Reply SHARE to let funders read them, WITHDRAW {code} to take them back."
        ),
        "cy": (
            "Diolch. Geiriau newydd am {organiser} yn lle'r hen. SHARE i'w rhannu, "
            "WITHDRAW {code} i'w dileu."
        ),
    },
    # SHARE after a thank-you: funders may read the words just sent (redacted, anonymous).
    "shared": {
        "en": (
            "Thank you. Funders can now read your words about {organiser}, never your name or "
            "number. Reply WITHDRAW {code} to take them back."
        ),
        "cy": (
            "Gall cyllidwyr ddarllen eich geiriau am {organiser} (nid eich rhif). "
            "WITHDRAW {code} i'w dileu."
        ),
    },
    # SHARE with no words from this phone waiting for it.
    "nothing_to_share": {
        "en": (
            "We have no words from this phone to share. Text an organiser's code and a few "
            "words about their work first."
        ),
        "cy": (
            "Does dim geiriau gan y ffôn hwn i'w rhannu. Tecstiwch god trefnydd a gair neu "
            "ddau yn gyntaf."
        ),
    },
    # YES after a thank-you: the resident opted in to hear back after the round.
    "hear_back_confirmed": {
        "en": (
            "Thank you. We will text you after the next funding round with what residents "
            "said and what happened. Reply STOP to stop texts."
        ),
        "cy": (
            "Diolch. Byddwn yn tecstio ar ôl y rownd ariannu nesaf i ddweud beth ddigwyddodd. "
            "Atebwch STOP i stopio."
        ),
    },
    # WITHDRAW <code> when there is nothing from this phone for that organiser.
    "nothing_to_withdraw": {
        "en": "We have no words from this phone for {code}, so there is nothing to withdraw.",
        "cy": "Does dim geiriau gan y ffôn hwn am {code}, felly does dim i'w dynnu'n ôl.",
    },
    # A picture with no text: only words can be read.
    "media_only": {
        "en": (
            "Thank you, but we can only read text. Send the organiser's code and a few words, "
            "e.g. AMINA-7K she got the lights fixed"
        ),
        "cy": (
            "Diolch, ond dim ond testun gallwn ei ddarllen. Anfonwch god y trefnydd a gair, "
            "e.e. AMINA-7K trwsiodd y goleuadau"
        ),
    },
    # After a round is approved, to residents who asked to hear back: what their voices did.
    "round_result_funded": {
        "en": (
            "Groundswell: {count} neighbours spoke up for {organiser}. Their work continues: "
            "{amount} for the next {period}. Thank you. Reply STOP to stop these texts."
        ),
        "cy": "{count} cymydog dros {organiser}. Mae'r gwaith yn parhau: {amount} am {period}. Diolch. STOP i stopio.",
    },
    "round_result_unfunded": {
        "en": (
            "Groundswell: {count} neighbours spoke up for {organiser}, short of the {needed} "
            "needed, so no funding this round. Your words still count next time. Reply STOP to stop texts."
        ),
        "cy": "{count} cymydog dros {organiser}; angen {needed}, felly dim arian tro hwn. STOP i stopio.",
    },
    # A paused round the funder (or an administrator) cancelled: say so plainly.
    "round_cancelled": {
        "en": (
            "Groundswell: this funding round for {organiser} was cancelled by the funder, so no "
            "money went out from it. Your words still count next round. Reply STOP to stop texts."
        ),
        "cy": "Canslodd y cyllidwr rownd {organiser}; ni aeth dim arian ohoni. STOP i stopio.",
    },
}

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {key: MappingProxyType(texts) for key, texts in _CATALOGUE.items()}
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
    text = texts.get(_primary_language(lang), texts[DEFAULT_LANG])
    missing = placeholders(text) - params.keys()
    if missing:
        raise KeyError(f"message {message_id!r} needs {', '.join(sorted(missing))}")
    return text.format_map(params)


def placeholders(text: str) -> frozenset[str]:
    """The placeholder names used in a catalogue text."""
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(text) if name)


def _primary_language(lang: str) -> str:
    return lang.replace("_", "-").split("-", 1)[0].strip().lower() if lang else DEFAULT_LANG


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
