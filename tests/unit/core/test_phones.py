import hashlib
import hmac

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.core.phones import (
    InvalidPhoneNumber,
    PhoneCipher,
    PhoneDecryptionError,
    is_e164,
    mask_phone,
    normalise_phone,
    normalise_sender,
    phone_hash,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
NUMBER = "+447911123456"


@pytest.mark.parametrize(
    "raw",
    [
        "+447911123456",
        "07911 123456",
        "+44 (0)7911-123456",
        "0044 7911 123456",
        "447911123456",
        " 07911123456 ",
    ],
)
def test_normalise_uk_forms_agree(raw):
    assert normalise_phone(raw) == NUMBER


def test_normalise_other_regions():
    assert normalise_phone("+1 415 555 2671") == "+14155552671"
    assert normalise_phone("(415) 555-2671", default_region="US") == "+14155552671"


@pytest.mark.parametrize(
    "raw",
    [
        "+447700900123",  # Ofcom drama range: never in service
        "07911 12345",  # a digit short
        "abc",
        "",
        "   ",
        "+999 123456789",
        "0" * 100,
    ],
)
def test_normalise_rejects(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(raw)


@pytest.mark.parametrize(
    "raw", ["+447700900123", "07911 12345", "+999 1234567", "07911 123456789012"]
)
def test_error_messages_never_contain_the_number(raw):
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalise_phone(raw)
    message = str(caught.value)
    assert message
    digits = "".join(ch for ch in raw if ch.isdigit())
    assert digits[-6:] not in message
    assert isinstance(caught.value, ValueError)


@given(st.text(max_size=80))
def test_normalise_either_returns_e164_or_raises_invalid(raw):
    try:
        result = normalise_phone(raw)
    except InvalidPhoneNumber:
        return
    assert is_e164(result)


def test_phone_hash_is_hmac_sha256_of_the_number():
    expected = hmac.new(KEY, NUMBER.encode(), hashlib.sha256).hexdigest()
    assert phone_hash(NUMBER, KEY) == expected
    assert len(expected) == 64


def test_phone_hash_is_stable_and_key_dependent():
    assert phone_hash(NUMBER, KEY) == phone_hash(NUMBER, KEY)
    assert phone_hash(NUMBER, KEY) != phone_hash(NUMBER, OTHER_KEY)
    assert phone_hash(NUMBER, KEY) != phone_hash("+447911123457", KEY)
    assert phone_hash(NUMBER, "k" * 32) == phone_hash(NUMBER, KEY)


def test_phone_hash_same_for_every_way_of_writing_a_number():
    hashes = {phone_hash(normalise_phone(raw), KEY) for raw in ["07911 123456", "+44 7911 123456"]}
    assert len(hashes) == 1


def test_phone_hash_refuses_unnormalised_numbers_and_short_keys():
    with pytest.raises(InvalidPhoneNumber):
        phone_hash("07911 123456", KEY)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        phone_hash(NUMBER, b"short")
    with pytest.raises(ValueError):
        phone_hash(NUMBER, b"")


def test_cipher_round_trip_and_randomised():
    cipher = PhoneCipher(KEY)
    token = cipher.encrypt(NUMBER)
    assert NUMBER not in token
    assert cipher.decrypt(token) == NUMBER
    assert cipher.encrypt(NUMBER) != token  # random IV: equal numbers are not linkable


@pytest.mark.parametrize("key", [b"x" * 16, b"y" * 200, "a text secret from the environment"])
def test_cipher_accepts_any_length_secret(key):
    cipher = PhoneCipher(key)
    assert cipher.decrypt(cipher.encrypt(NUMBER)) == NUMBER


def test_cipher_wrong_key_or_tampered_token():
    token = PhoneCipher(KEY).encrypt(NUMBER)
    with pytest.raises(PhoneDecryptionError):
        PhoneCipher(OTHER_KEY).decrypt(token)
    with pytest.raises(PhoneDecryptionError):
        PhoneCipher(KEY).decrypt(token[:-4] + "AAAA")
    with pytest.raises(PhoneDecryptionError):
        PhoneCipher(KEY).decrypt("not a token")
    with pytest.raises(PhoneDecryptionError):
        PhoneCipher(KEY).decrypt("é")


def test_cipher_key_is_independent_of_the_hash_key():
    # The same secret serves both; a hash must not reveal anything about the cipher key.
    token = PhoneCipher(KEY).encrypt(NUMBER)
    assert phone_hash(NUMBER, KEY) not in token


def test_cipher_rotation():
    old = PhoneCipher(OTHER_KEY)
    token = old.encrypt(NUMBER)
    current = PhoneCipher(KEY, previous_keys=[OTHER_KEY])
    assert current.decrypt(token) == NUMBER
    rotated = current.rotate(token)
    assert PhoneCipher(KEY).decrypt(rotated) == NUMBER
    with pytest.raises(PhoneDecryptionError):
        old.decrypt(rotated)


def test_cipher_only_encrypts_e164():
    with pytest.raises(InvalidPhoneNumber):
        PhoneCipher(KEY).encrypt("07911 123456")


@pytest.mark.parametrize(
    ("value", "masked"),
    [(NUMBER, "••••56"), ("+14155552671", "••••71"), ("", "••••"), ("+12", "••••")],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_is_e164():
    assert is_e164(NUMBER)
    assert not is_e164("447911123456")
    assert not is_e164("+0447911123456")
    assert not is_e164("+44 7911 123456")


# Every region's example numbers of every kind phonenumbers knows: valid by its ranges.
EXAMPLES = sorted(
    {
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        for region in phonenumbers.SUPPORTED_REGIONS
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
        if (number := phonenumbers.example_number_for_type(region, kind)) is not None
    }
)


def test_sender_agrees_with_normalise_on_every_valid_number():
    assert len(EXAMPLES) > 300
    for e164 in EXAMPLES:
        assert normalise_sender(e164) == normalise_phone(e164) == e164


@given(st.text(max_size=24))
def test_sender_returns_e164_or_raises_like_normalise(raw):
    try:
        result = normalise_sender(raw)
    except InvalidPhoneNumber:
        return
    assert is_e164(result)
    # Where both accept, one phone is one voice whichever way it arrived.
    try:
        assert normalise_phone(raw) == result
    except InvalidPhoneNumber:
        assert result == raw  # canonical E.164 outside phonenumbers' ranges (below)


@pytest.mark.parametrize("raw", ["12345", "GROUNDSW", "", "+999123456789", "+44", "0+447911123456"])
def test_sender_refuses_short_codes_alphanumerics_and_unknown_countries(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalise_sender(raw)


def test_sender_in_another_form_is_normalised_in_full():
    assert normalise_sender("07911 123456") == NUMBER
    assert normalise_sender("+4407911123456") == NUMBER  # not canonical: the long way
    with pytest.raises(InvalidPhoneNumber):
        normalise_sender("07700 900123")  # Ofcom's drama range, typed: refused as ever


def test_sender_in_canonical_form_is_taken_as_delivered():
    # The network delivered a text from it, so it is in service even where phonenumbers'
    # ranges do not (yet) say so; a number typed on a form is still checked against them.
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone("+447700900123")
    assert normalise_sender("+447700900123") == "+447700900123"
