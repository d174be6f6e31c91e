import pytest

from groundswell.vouching.messages import (
    LANGS,
    MESSAGES,
    is_gsm7,
    placeholders,
    render,
    sms_segments,
)

# Worst cases: a 40-character organiser name and the longest possible code (12-letter name).
LONG_ASCII_NAME = "Bartholomew Fitzgerald-Montgomery Smythe"
LONG_WELSH_NAME = "Siân Gwenllïan ap Gruffydd-Llewelyn Rhŷs"
LONGEST_CODE = "BARTHOLOMEWF-7K"
# Every placeholder a message may use, at its longest realistic value.
WORST_CASE = {
    "organiser": LONG_ASCII_NAME,
    "code": LONGEST_CODE,
    "count": "1,000",
    "needed": "1,000",
    "amount": "£12,345.67",
    "period": "12 months",
    # Filled in by code that trims them to fit (sms._withdraw_ask, self_service.my_data_text);
    # here at the length the catalogue text must leave room for.
    "codes": "BARTHOLOMEWF-7K, AMINA-7K",
    "regions": "the UK, Jersey, Guernsey or the Isle of Man",
    "details": "AMINA-7K 5/12/26 counted, not shown; hear back: no",
}
REQUIRED_MESSAGES = {
    "thanks",
    "listening_prompt",
    "withdrawn_one",
    "withdrawn_all",
    "withdraw_which",
    "texts_stopped",
    "vouch_refused_not_mobile",
    "vouch_refused_region",
    "my_data",
    "erase_confirm",
    "erased",
    "resumed",
    "help",
    "unknown",
    "unknown_code",
    "self_vouch_refused",
    "rate_limited",
    "verification_code",
    "already_replaced",
    "shared",
    "nothing_to_share",
}


def test_fixture_lengths():
    assert len(LONG_ASCII_NAME) == 40
    assert len(LONG_WELSH_NAME) == 40
    assert len(LONGEST_CODE) == 15


def test_catalogue_has_every_message_in_every_language():
    assert MESSAGES.keys() >= REQUIRED_MESSAGES
    for message_id, texts in MESSAGES.items():
        assert set(texts) == set(LANGS), message_id


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_languages_use_the_same_placeholders(message_id):
    texts = MESSAGES[message_id]
    assert placeholders(texts["en"]) == placeholders(texts["cy"])
    assert placeholders(texts["en"]) <= set(WORST_CASE)


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_english_is_plain_gsm7(message_id):
    # One smart quote would make every English reply cost more than twice as much.
    assert is_gsm7(MESSAGES[message_id]["en"])


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
@pytest.mark.parametrize("lang", LANGS)
def test_fits_two_segments_with_long_placeholders(message_id, lang):
    text = render(message_id, lang, **WORST_CASE)
    assert sms_segments(text) <= 2, text


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_welsh_fits_two_segments_with_a_welsh_name(message_id):
    text = render(message_id, "cy", **{**WORST_CASE, "organiser": LONG_WELSH_NAME})
    assert sms_segments(text) <= 2, text


def test_render_fills_placeholders():
    assert render("verification_code", code="123456") == (
        "Your Groundswell code is 123456. It expires in 10 minutes."
    )
    thanks = render("thanks", organiser="Amina", code="AMINA-7K")
    assert "Reply SHARE to let funders read them" in thanks
    assert "WITHDRAW AMINA-7K to take them back" in thanks
    assert render("listening_prompt", organiser="Amina").startswith(
        "Tell us about a time Amina helped or changed something round here. What happened?"
    )
    assert "AMINA-7K she got the lights fixed" in render("unknown")


def test_render_language_fallbacks():
    assert render("help", "cy-GB") == render("help", "cy")
    assert render("help", "CY") == render("help", "cy")
    assert render("help", "fr") == render("help", "en")
    assert render("help", "") == render("help", "en")


def test_render_ignores_extra_params_and_does_not_format_values():
    assert render("verification_code", code="{organiser}", organiser="x") == (
        "Your Groundswell code is {organiser}. It expires in 10 minutes."
    )


def test_render_errors():
    with pytest.raises(KeyError, match="no SMS message"):
        render("nope")
    with pytest.raises(KeyError, match="organiser"):
        render("thanks", code="AMINA-7K")


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("a" + "€" * 79, 1),  # 159 septets
        ("a" * 152 + "€" + "a" * 7, 2),  # 161 septets: € moves whole to segment two
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but a split € would be unreadable
        ("é" * 160, 1),  # é is in GSM-7
        ("ŵ" * 70, 1),  # ŵ is not: UCS-2
        ("ŵ" * 71, 2),
        ("ŵ" * 134, 2),
        ("ŵ" * 135, 3),
        ("a" * 69 + "😀", 2),  # an emoji is two UTF-16 units: 71 > 70
        ("a" * 68 + "😀", 1),
        ("a" * 66 + "😀" + "a" * 3, 2),  # 71 units; the emoji starts segment two
        ("a" * 66 + "😀" + "a" * 66, 3),  # 67 + 67 would fit two, the split emoji forbids it
        ("’" + "a" * 100, 2),  # one curly apostrophe forces UCS-2
    ],
)
def test_sms_segments_known_answers(text, segments):
    assert sms_segments(text) == segments


def test_is_gsm7():
    assert is_gsm7("Hello @ £5 [ok] {}~^|\\€ \n")
    assert not is_gsm7("Siân")
    assert not is_gsm7("it’s")
    assert not is_gsm7("👍")
