import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.vouching.grammar import Command, CommandKind, clean_text, parse_sms

K = CommandKind


@pytest.mark.parametrize(
    ("body", "code", "testimony"),
    [
        ("amina-7k she listens", "AMINA-7K", "she listens"),
        ("AMINA-7K she got the lights fixed", "AMINA-7K", "she got the lights fixed"),
        ("Amina 7k she listens", "AMINA-7K", "she listens"),
        ("AMINA7K she listens", "AMINA-7K", "she listens"),
        ("VOUCH AMINA-7K she listens", "AMINA-7K", "she listens"),
        ("vouch: amina-7k: she listens", "AMINA-7K", "she listens"),
        ("AMINA-7K - she listens", "AMINA-7K", "she listens"),
        ("AMINA-7K, she listens", "AMINA-7K", "she listens"),
        ("(AMINA-7K) she listens", "AMINA-7K", "she listens"),
        ("AMINA–7K she listens", "AMINA-7K", "she listens"),
        ("  amina-7k    she    listens   ", "AMINA-7K", "she listens"),
        ('AMINA-7K "She sorted the damp"', "AMINA-7K", '"She sorted the damp"'),
        ("AMINA-7K 👍", "AMINA-7K", "👍"),
        ("AMINA-7K 24 hours a day she was there", "AMINA-7K", "24 hours a day she was there"),
        ("AMINA-7K هي تستمع", "AMINA-7K", "هي تستمع"),
    ],
)
def test_vouch(body, code, testimony):
    assert parse_sms(body) == Command(
        K.VOUCH,
        code=code,
        testimony=testimony,
        keyword="VOUCH" if body.lower().startswith("vouch") else None,
    )


def test_testimony_keeps_line_breaks_but_tidies_them():
    command = parse_sms("AMINA-7K  first  line \r\n\r\n\r\n\r\n second\tline\n")
    assert command.testimony == "first line\n\nsecond line"


def test_code_typed_with_space_needs_a_digit_in_the_suffix():
    # "ok" could be a suffix by its letters, but suffixes always have a digit.
    assert parse_sms("Amina ok she listens") == Command(K.UNKNOWN)
    assert parse_sms("Amina 7k, she listens").code == "AMINA-7K"


@pytest.mark.parametrize(
    "body", ["AMINA-7K", "amina 7k", "VOUCH AMINA-7K", "AMINA-7K.", "AMINA-7K :"]
)
def test_code_only(body):
    command = parse_sms(body)
    assert command.kind is K.CODE_ONLY
    assert command.code == "AMINA-7K"
    assert command.testimony is None


@pytest.mark.parametrize(
    "body",
    ["WITHDRAW AMINA-7K", "withdraw amina 7k", "Withdraw: AMINA-7K please", "WITHDRAW amina7k."],
)
def test_withdraw_one(body):
    assert parse_sms(body) == Command(K.WITHDRAW_ONE, code="AMINA-7K", keyword="WITHDRAW")


@pytest.mark.parametrize("body", ["WITHDRAW", "withdraw.", " Withdraw! "])
def test_bare_withdraw_asks_which(body):
    assert parse_sms(body) == Command(K.WITHDRAW_ASK, keyword="WITHDRAW")


@pytest.mark.parametrize("body", ["WITHDRAW ALL", "withdraw everything", "Withdraw all!"])
def test_withdraw_all_needs_all(body):
    assert parse_sms(body) == Command(K.WITHDRAW_ALL, keyword="WITHDRAW")


def test_withdraw_with_something_unreadable_is_not_withdraw_all():
    assert parse_sms("withdraw my words please") == Command(K.UNKNOWN, keyword="WITHDRAW")


@pytest.mark.parametrize(
    ("body", "kind", "keyword"),
    [
        ("STOP", K.OPT_OUT, "STOP"),
        ("Stop.", K.OPT_OUT, "STOP"),
        ("stop", K.OPT_OUT, "STOP"),
        ("  STOPALL\n", K.OPT_OUT, "STOPALL"),
        ("Unsubscribe", K.OPT_OUT, "UNSUBSCRIBE"),
        ("cancel", K.OPT_OUT, "CANCEL"),
        ("END", K.OPT_OUT, "END"),
        ("quit!", K.OPT_OUT, "QUIT"),
        ("STOP 🛑", K.OPT_OUT, "STOP"),
        ("ＳＴＯＰ", K.OPT_OUT, "STOP"),  # full-width letters
        ("Stopio", K.OPT_OUT, "STOPIO"),  # Welsh
        ("AILDDECHRAU", K.RESUME, "AILDDECHRAU"),
        ("MYDATA", K.MY_DATA, "MYDATA"),
        ("my data?", K.MY_DATA, "MYDATA"),
        ("Fynata", K.MY_DATA, "FYNATA"),
        ("fy nata", K.MY_DATA, "FYNATA"),
        ("DELETE", K.ERASE, "DELETE"),
        ("dileu.", K.ERASE, "DILEU"),
        ("START", K.RESUME, "START"),
        ("unstop", K.RESUME, "UNSTOP"),
        ("Yes!", K.RESUME, "YES"),
        ("yes", K.RESUME, "YES"),
        ("HELP", K.HELP, "HELP"),
        ("help!", K.HELP, "HELP"),
        ("Info?", K.HELP, "INFO"),
        ("Cymraeg", K.LANGUAGE, "CYMRAEG"),
        ("welsh.", K.LANGUAGE, "WELSH"),
        ("ENGLISH", K.LANGUAGE, "ENGLISH"),
        ("saesneg!", K.LANGUAGE, "SAESNEG"),
        ("SHARE", K.SHARE, "SHARE"),
        ("share.", K.SHARE, "SHARE"),
        ("Rhannu", K.SHARE, "RHANNU"),
    ],
)
def test_keywords(body, kind, keyword):
    assert parse_sms(body) == Command(kind, keyword=keyword)


@pytest.mark.parametrize(
    "body",
    [
        "End of the day she was there for us",
        "Stop sending me these",
        "yes she is great",
        "hello",
        "THANKS",
        "Welsh speakers need her",
        "English lessons at the library",
        "Share what you know, she says",
        "Thank you Amina",
        "VOUCH",
        "VOUCH for amina",
        "she got the lights fixed AMINA-7K",
        "AMINA-7O she listens",
        "🙂",
        "...",
    ],
)
def test_unknown(body):
    assert parse_sms(body).kind is K.UNKNOWN


def test_empty_and_media_only():
    assert parse_sms("") == Command(K.EMPTY)
    assert parse_sms(None) == Command(K.EMPTY)
    assert parse_sms(" \n\t ") == Command(K.EMPTY)
    assert parse_sms("\x00\x01") == Command(K.EMPTY)
    assert parse_sms("", num_media=1) == Command(K.MEDIA_ONLY)
    assert parse_sms(None, num_media=2) == Command(K.MEDIA_ONLY)


def test_media_with_a_code_is_still_read():
    assert parse_sms("AMINA-7K", num_media=1).kind is K.CODE_ONLY


def test_control_characters_are_removed_from_testimony():
    command = parse_sms("AMINA-7K she\x00 fixed\x1b it\x07")
    assert command.testimony == "she fixed it"


def test_emoji_sequences_and_rtl_marks_survive():
    family = "👨\u200d👩\u200d👧"
    command = parse_sms(f"AMINA-7K {family} \u200fمرحبا")
    assert command.testimony == f"{family} \u200fمرحبا"


def test_long_body():
    words = ("she listens " * 200)[:1590]
    command = parse_sms("AMINA-7K " + words)
    assert command.kind is K.VOUCH
    assert command.testimony == words.strip()


def test_clean_text_is_idempotent_on_examples():
    for raw in ["a\r\nb", "  x  \n\n\n\n y ", "\u2028z\u2029"]:
        once = clean_text(raw)
        assert clean_text(once) == once


@given(st.one_of(st.none(), st.text(max_size=1700)), st.integers(min_value=-3, max_value=10))
def test_parse_sms_never_raises(body, num_media):
    command = parse_sms(body, num_media)
    assert isinstance(command, Command)
    assert isinstance(command.kind, CommandKind)
    if command.kind in (K.VOUCH, K.CODE_ONLY, K.WITHDRAW_ONE):
        assert command.code is not None
    if command.kind is K.VOUCH:
        assert command.testimony


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_testimony_never_contains_control_characters(body):
    command = parse_sms("AMINA-7K " + body)
    for ch in command.testimony or "":
        assert ch == "\n" or (ch >= " " and not ("\x7f" <= ch <= "\x9f"))


@given(
    name=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=10),
    digit=st.sampled_from("23456789"),
    letter=st.sampled_from("23456789ABCDEFGHJKMNPQRSTUVWXYZ"),
    words=st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
        min_size=1,
        max_size=12,
    ),
    lower=st.booleans(),
)
def test_any_code_and_words_vouch_for_that_code(name, digit, letter, words, lower):
    code = f"{name}-{digit}{letter}"
    testimony = "she " + " ".join(words)
    body = f"{code.lower() if lower else code} {testimony}"
    assert parse_sms(body) == Command(K.VOUCH, code=code, testimony=testimony)
