import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.community.identifiers import normalise_postcode, validate_org_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GB-CHC-1234567", "GB-CHC-1234567"),
        ("GB-CHC-123456", "GB-CHC-123456"),
        ("gb-chc-1234567", "GB-CHC-1234567"),
        (" GB-CHC-123 4567 ", "GB-CHC-1234567"),
        ("GB-SC-SC012345", "GB-SC-SC012345"),
        ("gb-sc-sc012345", "GB-SC-SC012345"),
        ("GB-NIC-100001", "GB-NIC-100001"),
        ("GB-COH-01234567", "GB-COH-01234567"),
        ("GB-COH-00012345", "GB-COH-00012345"),  # leading zeros kept
        ("GB-COH-SC123456", "GB-COH-SC123456"),
        ("GB-COH-NI123456", "GB-COH-NI123456"),
        ("gb-coh-oc123456", "GB-COH-OC123456"),
        ("GB-COH-R0000123", "GB-COH-R0000123"),
        ("GB-COH-IP12345R", "GB-COH-IP12345R"),
        ("360G-groundswell-42", "360G-groundswell-42"),
        ("360g-Groundswell-group_7.a", "360G-Groundswell-group_7.a"),
        ("360G-GS-ORG-2024-0001", "360G-GS-ORG-2024-0001"),
    ],
)
def test_valid_org_ids(raw, expected):
    assert validate_org_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("GB-CHC-12345", "6 or 7 digits"),
        ("GB-CHC-12345678", "6 or 7 digits"),
        ("GB-CHC-12345A", "6 or 7 digits"),
        ("GB-CHC-١٢٣٤٥٦٧", "6 or 7 digits"),  # Arabic-Indic digits
        ("GB-SC-012345", "Did you mean GB-SC-SC012345?"),
        ("GB-SC-SC12345", "SC and 6 digits"),
        ("GB-NIC-200001", "1 and 5 more digits"),
        ("GB-NIC-10001", "1 and 5 more digits"),
        ("GB-COH-1234567", "include them: GB-COH-01234567?"),
        ("GB-COH-123456789", "exactly 8 characters"),
        ("GB-COH-SC1234567", "exactly 8 characters"),
        ("GB-COH-ABCDEFGH", "exactly 8 characters"),
        ("GB-EDU-123456", "not one we accept"),
        ("1234567", "not one we accept"),
        ("", "Enter an organisation identifier"),
        ("360G-", "360Giving identifier"),
        ("360G-groundswell", "360Giving identifier"),
        ("360G-ground swell-", "360Giving identifier"),
        ("360G-grounds/well-1", "360Giving identifier"),
    ],
)
def test_invalid_org_ids(raw, message):
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        validate_org_id(raw)


def test_our_prefix_is_enforced_for_unregistered_groups():
    assert validate_org_id("360G-groundswell-1", our_prefix="groundswell") == "360G-groundswell-1"
    with pytest.raises(ValueError, match="360G-groundswell-<id>"):
        validate_org_id("360G-otherfunder-1", our_prefix="groundswell")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("m11ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("CF10 1AA", "CF10 1AA"),
        ("BT1 5GS", "BT1 5GS"),
        ("gir0aa", "GIR 0AA"),
        ("SW1A OAA", "SW1A 0AA"),  # letter O where the inward digit belongs
    ],
)
def test_postcodes(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "SW1A",
        "SW1A 1A",
        "SW1A 1AAA",
        "1SW 1AA",
        "SW1A1A A1",
        "QQ QQQ",
        "12345",
        "SWIA 1AA",
        "E1 1ÁA",
    ],
)
def test_invalid_postcodes(raw):
    with pytest.raises(ValueError) as caught:
        normalise_postcode(raw)
    # Always the same message: a resident's postcode must not reach the logs through it.
    assert str(caught.value) == "Enter a full UK postcode, like SW1A 1AA."


@given(st.text(max_size=20))
def test_postcode_is_idempotent_and_never_raises_anything_else(raw):
    try:
        postcode = normalise_postcode(raw)
    except ValueError:
        return
    assert normalise_postcode(postcode) == postcode
    assert postcode == postcode.upper()
    assert postcode.count(" ") == 1
    assert postcode.index(" ") == len(postcode) - 4


@given(st.text(max_size=40))
def test_org_id_is_idempotent_and_never_raises_anything_else(raw):
    try:
        org_id = validate_org_id(raw)
    except ValueError:
        return
    assert validate_org_id(org_id) == org_id
