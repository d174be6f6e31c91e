"""Residents' phone numbers: normalise, hash, encrypt, mask.

A resident's number is their one voice, and it is never stored in clear:

* ``normalise_phone`` turns whatever was typed or sent into E.164, so one phone is one voice
  however it was written ("07911 123456", "+44 (0)7911-123456").
* ``phone_hash`` is what the database keeps to recognise a phone: HMAC-SHA256 under
  GROUNDSWELL_PHONE_KEY. A plain hash would not do: there are few enough phone numbers to
  hash them all, so the key's secrecy is what protects residents.
* ``PhoneCipher`` encrypts a number that must be kept for a while (an outgoing message in the
  outbox, a resident who opted in to hear back).
* ``mask_phone`` is the only form fit to show anyone.

Error messages never contain the number: they end up in logs and on pages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Marked for the Welsh catalogue; the vouch forms translate the message they show.
from groundswell.core.i18n import N_ as _N

__all__ = [
    "MIN_KEY_BYTES",
    "InvalidPhoneNumber",
    "PhoneCipher",
    "PhoneDecryptionError",
    "is_e164",
    "mask_phone",
    "normalise_phone",
    "normalise_sender",
    "phone_hash",
]

# Short keys make the HMAC guessable by brute force over the small space of phone numbers.
MIN_KEY_BYTES = 16

_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")
_MAX_INPUT_CHARS = 64

# The encryption key is derived with its own HKDF label, so it is independent of the HMAC
# even though both come from the one GROUNDSWELL_PHONE_KEY.
_CIPHER_INFO = b"groundswell/phone-cipher/v1"

_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: _N(
        "That phone number's country code is not recognised. Start with + and the country "
        "code, or type a UK number starting with 0."
    ),
    phonenumbers.NumberParseException.NOT_A_NUMBER: _N(
        "That does not look like a phone number. Type the digits, for example 07911 123456."
    ),
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: _N(
        "That phone number is too short after the country code. Check the digits."
    ),
    phonenumbers.NumberParseException.TOO_SHORT_NSN: _N(
        "That phone number is too short. Check the digits."
    ),
    phonenumbers.NumberParseException.TOO_LONG: _N(
        "That phone number is too long. Check the digits."
    ),
}
_INVALID = _N(
    "That phone number is not one in use. Check the digits; for a number outside the UK, "
    "start with + and the country code."
)


class InvalidPhoneNumber(ValueError):
    """The text is not a usable phone number. The message is safe to show and to log."""


class PhoneDecryptionError(ValueError):
    """An encrypted number could not be decrypted: wrong key, or the token was altered."""


def normalise_phone(raw: str, default_region: str = "GB") -> str:
    """The E.164 form of ``raw`` ("+447911123456"), or ``InvalidPhoneNumber``.

    Numbers without a country code are read as ``default_region``'s. Numbers that could
    not be in service (such as Ofcom's drama range, +447700900xxx) are rejected.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhoneNumber(_N("Enter a phone number, for example 07911 123456."))
    if len(raw) > _MAX_INPUT_CHARS:
        raise InvalidPhoneNumber(_N("That phone number is too long. Check the digits."))
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        message = _PARSE_ERRORS.get(exc.error_type, _INVALID)
        raise InvalidPhoneNumber(message) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(_INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_sender(raw: str) -> str:
    """The E.164 form of the number a text came from, or ``InvalidPhoneNumber``.

    Twilio sends a phone sender's number in E.164 form, and the network has just delivered
    a text from it, so the number is in service whatever phonenumbers' ranges say: a number
    already in canonical E.164 form is taken as it is (one parse, about a third of
    ``normalise_phone``'s time on the SMS webhook). Anything else (short codes, alphanumeric
    senders, a simulated text typed as "07911 123456") goes through ``normalise_phone``.
    """
    if isinstance(raw, str) and _E164_RE.fullmatch(raw):
        try:
            number = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException:
            number = None
        if (
            number is not None
            and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == raw
        ):
            return raw
    return normalise_phone(raw)


def is_e164(value: str) -> bool:
    """True for text already in E.164 form (what ``normalise_phone`` returns)."""
    return isinstance(value, str) and _E164_RE.fullmatch(value) is not None


def phone_hash(e164: str, key: bytes | str) -> str:
    """Hex HMAC-SHA256(key, E.164 number): stable for one key, unrelated across keys.

    ``key`` is GROUNDSWELL_PHONE_KEY as bytes, or as text (encoded as UTF-8).

    Insists on E.164 because hashing "07911 123456" and "+447911123456" separately would
    give one phone two voices.
    """
    _require_e164(e164)
    return hmac.new(_key_bytes(key), e164.encode("ascii"), hashlib.sha256).hexdigest()


class PhoneCipher:
    """Authenticated encryption (Fernet) of E.164 numbers under a key of any length.

    ``previous_keys`` lets numbers encrypted under an old GROUNDSWELL_PHONE_KEY still be
    read after a key change; ``rotate`` re-encrypts them under the current key.
    """

    def __init__(self, key: bytes | str, previous_keys: Iterable[bytes | str] = ()) -> None:
        keys = [key, *previous_keys]
        self._fernet = MultiFernet([_fernet_for(k) for k in keys])

    def encrypt(self, e164: str) -> str:
        _require_e164(e164)
        return self._fernet.encrypt(e164.encode("ascii")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            plain = self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, AttributeError, TypeError):
            raise PhoneDecryptionError(
                "Could not decrypt a phone number: wrong GROUNDSWELL_PHONE_KEY or damaged data."
            ) from None
        return plain.decode("ascii")

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the current key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError, AttributeError, TypeError):
            raise PhoneDecryptionError(
                "Could not decrypt a phone number: wrong GROUNDSWELL_PHONE_KEY or damaged data."
            ) from None


def mask_phone(e164: str) -> str:
    """ "••••56": enough for a resident to recognise their own phone, no more."""
    digits = [ch for ch in e164 if "0" <= ch <= "9"] if isinstance(e164, str) else []
    tail = "".join(digits[-2:]) if len(digits) >= 6 else ""
    return "••••" + tail


def _require_e164(value: str) -> None:
    if not is_e164(value):
        raise InvalidPhoneNumber(
            "Expected a phone number in E.164 form (+ and digits); normalise it first."
        )


def _key_bytes(key: bytes | str) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else key
    if not isinstance(raw, bytes) or len(raw) < MIN_KEY_BYTES:
        raise ValueError(
            f"GROUNDSWELL_PHONE_KEY must be at least {MIN_KEY_BYTES} bytes; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return raw


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def _fernet_for(key: bytes | str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(_key_bytes(key), _CIPHER_INFO)))
