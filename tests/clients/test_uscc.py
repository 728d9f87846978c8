"""Unified social credit codes (GB 32100-2015): validation with plain messages, and the
normalisation Client.clean() applies to what staff type or paste."""

import pytest
from django.core.exceptions import ValidationError

from clients.models import Client
from clients.validators import normalise_uscc, validate_uscc
from tests.factories import ClientFactory, make_uscc


def fullwidth(text: str) -> str:
    """``text`` typed with a Chinese input method: full-width digits and letters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def messages(value):
    with pytest.raises(ValidationError) as err:
        validate_uscc(value)
    return err.value.messages


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",
        "91350100M000100Y43",
        "9144030071526726XG",
        make_uscc(1),
        make_uscc(424242),
    ],
)
def test_valid_codes_pass(code):
    assert validate_uscc(code) is None


@pytest.mark.parametrize(
    ("code", "expected", "found"),
    [
        ("91110000600037341X", "L", "X"),
        ("91350100M000100Y44", "3", "4"),
        ("9144030071526726XH", "G", "H"),
        ("91310000MA1FL8B255", "G", "5"),
    ],
)
def test_wrong_check_character_names_the_expected_one(code, expected, found):
    assert messages(code) == [
        "The check character of this unified social credit code is wrong (GB 32100-2015): "
        f"expected {expected}, found {found}."
    ]


@pytest.mark.parametrize(
    ("code", "expected", "found"),
    [
        # Its 18th character is right for its first 17, but the organisation code 5YQ8KD2B-3
        # should end in 2 (GB 11714): only the organisation code's check fails.
        ("914403005YQ8KD2B3F", "2", "3"),
        ("91110000600037342P", "1", "2"),  # 60003734-2, the 18th recomputed for it
    ],
)
def test_organisation_code_check_character_is_verified(code, expected, found):
    from stdnum.cn import uscc

    assert uscc.is_valid(code)  # stdnum checks only the 18th character
    assert messages(code) == [
        "The organisation code (characters 9-17) of this unified social credit code fails its "
        f"check character (GB 11714): expected {expected}, found {found}."
    ]


def test_a_typo_in_position_17_names_both_checks():
    # 91310000MA1FL8B25G is valid; X in position 17 breaks both check characters.
    assert messages("91310000MA1FL8B2X5") == [
        "The organisation code (characters 9-17) of this unified social credit code fails its "
        "check character (GB 11714): expected 5, found X.",
        "The check character of this unified social credit code is wrong (GB 32100-2015): "
        "expected T, found 5.",
    ]


def test_organisation_code_check_character_examples():
    from clients.validators import organisation_code_check_character as check

    assert check("60003734") == "1"  # in stdnum's example 91110000600037341L
    assert check("D2143569") == "X"  # 10 is written X
    assert check("5YQ8KD2B") == "2"
    assert check("MA1FL8B2") == "5"


@pytest.mark.parametrize(
    ("code", "length"),
    [("", 0), ("9111000060003734", 16), ("91110000600037341L0", 19), ("9111 0000 6000", 12)],
)
def test_wrong_length(code, length):
    assert messages(code) == [
        f"A unified social credit code has 18 characters; this one has {length}."
    ]


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341I",  # I is not used (confused with 1)
        "9111000060003734OL",  # nor O (confused with 0)
        "9111000060003S341L",  # nor S, V, Z
        "911A0000600037341L",  # positions 3-8 are the region code: digits
        "91110000600037341*",
    ],
)
def test_invalid_characters(code):
    assert messages(code) == [
        "A unified social credit code uses digits and the capital letters "
        "ABCDEFGHJKLMNPQRTUWXY only, with digits in positions 3 to 8 (the region code)."
    ]


@pytest.mark.parametrize("prefix", ["N2", "Y1", "51", "A1"])
def test_letter_registration_authority_codes_are_valid(prefix):
    """GB 32100-2015: positions 1-2 (authority, category) may be letters, e.g. N (agriculture)
    or Y (other authorities); only positions 3-8 must be digits."""
    from stdnum.cn import uscc

    body = f"{prefix}110000MA01ABCD5"  # the organisation code MA01ABCD-5 (GB 11714)
    code = body + uscc.calc_check_digit(body)
    validate_uscc(code)  # does not raise
    with pytest.raises(ValidationError):
        validate_uscc(code[:17] + ("0" if code[17] != "0" else "1"))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("91110000600037341l", "91110000600037341L"),
        (fullwidth("91110000600037341L"), "91110000600037341L"),
        (fullwidth("91110000600037341l"), "91110000600037341L"),
        (" 9111-0000-6000-3734-1L ", "91110000600037341L"),
        ("91110000\u30006000\u300037341L", "91110000600037341L"),  # ideographic spaces
        ("91350100m000100y43", "91350100M000100Y43"),
    ],
)
def test_normalisation(raw, clean):
    assert normalise_uscc(raw) == clean
    assert validate_uscc(raw) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    ["91110000600037341l", fullwidth("91110000600037341L"), "9111 0000 6000 3734 1L"],
)
def test_client_clean_normalises_and_saves_the_canonical_code(raw):
    client = ClientFactory.build(registration_id=raw, country="cn")
    client.full_clean()
    assert client.country == "CN"
    assert client.registration_id == "91110000600037341L"
    client.save()
    assert Client.objects.get(pk=client.pk).registration_id == "91110000600037341L"
    assert client.registration_is_valid


@pytest.mark.django_db
def test_client_clean_reports_the_field():
    client = ClientFactory.build(registration_id=fullwidth("91110000600037341X"))
    with pytest.raises(ValidationError) as err:
        client.clean()
    assert err.value.message_dict == {
        "registration_id": [
            "The check character of this unified social credit code is wrong "
            "(GB 32100-2015): expected L, found X."
        ]
    }


@pytest.mark.django_db
def test_foreign_registration_ids_are_not_checked_as_uscc():
    client = ClientFactory.build(country="de", registration_id="HRB 123456 b")
    client.clean()
    assert (client.country, client.registration_id) == ("DE", "HRB 123456 b")
    assert client.registration_is_valid
    client.registration_id = "  "
    assert not client.registration_is_valid


def test_the_check_character_is_stdnums():
    """validators computes the check character itself (the import checks every row without
    stdnum's per-call clean-up): the same character as stdnum.cn.uscc for any body."""
    import random

    from stdnum.cn import uscc

    from clients.validators import ALPHABET, uscc_check_character

    assert uscc._alphabet == ALPHABET
    rnd = random.Random(32100)
    for _ in range(5000):
        body = "".join(rnd.choice(ALPHABET) for _ in range(17))
        assert uscc_check_character(body) == uscc.calc_check_digit(body)
