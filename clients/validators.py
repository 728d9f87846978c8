"""Registration ids. Chinese entities carry the 18-character unified social credit code of
GB 32100-2015; python-stdnum implements its check character (stdnum.cn.uscc).

Two check characters are verified: characters 9-17 are the organisation code of GB 11714,
whose 9th character (position 17 of the code) checks its first 8 (weights 3 7 9 10 5 8 4 2,
mod 11, 10 written X); position 18 checks the 17 before it (GB 32100). stdnum.cn.uscc checks
only the latter (914403005YQ8KD2B3F passes it, though its organisation code should end in 2)
and has no organisation-code module, so that check is computed here.

Layout (GB 32100-2015 4): 1 registration authority (e.g. 9 market regulation, 5 civil affairs,
N agriculture, Y other), 2 entity category, 3-8 administrative division (digits), 9-17 the
organisation code, 18 the check character. stdnum's own ``validate`` insists on digits in
positions 1-2, which would refuse real codes such as N2..., so the format is checked here and
only the check character follows stdnum (its weights, computed here without its per-call
clean-up: the import checks every row; tests/clients/test_uscc.py compares the two).
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

MSG_USCC_LENGTH = _("A unified social credit code has 18 characters; this one has %(n)d.")
MSG_USCC_FORMAT = _(
    "A unified social credit code uses digits and the capital letters ABCDEFGHJKLMNPQRTUWXY "
    "only, with digits in positions 3 to 8 (the region code)."
)
MSG_USCC_CHECK = _(
    "The check character of this unified social credit code is wrong "
    "(GB 32100-2015): expected %(expected)s, found %(found)s."
)
MSG_USCC_ORG_CHECK = _(
    "The organisation code (characters 9-17) of this unified social credit code fails its "
    "check character (GB 11714): expected %(expected)s, found %(found)s."
)


def normalise_uscc(value: str) -> str:
    """Upper-case, without spaces or hyphens (and full-width characters folded)."""
    return unicodedata.normalize("NFKC", value or "").replace(" ", "").replace("-", "").upper()


# stdnum.cn.uscc's weights, applied to the values of ALPHABET (its _alphabet).
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def uscc_check_character(body: str) -> str:
    """The check character (position 18) of the 17 characters ``body`` (GB 32100-2015)."""
    total = sum(_VALUE[c] * w for c, w in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total) % 31]


# GB 11714-1997: the organisation code's 8 characters are digits or capital letters (A=10 ...
# Z=35, as int(c, 36)), weighted; the 9th is 11 - sum mod 11, 10 as X and 11 as 0.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code_check_character(body: str) -> str:
    """The check character (9th) of the 8-character organisation code ``body`` (GB 11714)."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_error(code: str) -> ValidationError | None:
    """What is wrong with an already normalised (:func:`normalise_uscc`) code, or None: the
    error validate_uscc() raises, without normalising again (the import cleans every row).
    When both check characters fail (a typo in position 17 breaks both), both are named."""
    if len(code) != 18:
        return ValidationError(MSG_USCC_LENGTH, code="uscc_length", params={"n": len(code)})
    if not code[2:8].isdigit() or any(c not in _VALUE for c in code):
        return ValidationError(MSG_USCC_FORMAT, code="uscc_format")
    errors = []
    expected = organisation_code_check_character(code[8:16])
    if code[16] != expected:
        errors.append(
            ValidationError(
                MSG_USCC_ORG_CHECK,
                code="uscc_organisation_checksum",
                params={"expected": expected, "found": code[16]},
            )
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        errors.append(
            ValidationError(
                MSG_USCC_CHECK,
                code="uscc_checksum",
                params={"expected": expected, "found": code[17]},
            )
        )
    if not errors:
        return None
    return errors[0] if len(errors) == 1 else ValidationError(errors)


def validate_uscc(value: str) -> None:
    """Raise a ValidationError a person understands if ``value`` is not a valid USCC."""
    error = uscc_error(normalise_uscc(value))
    if error is not None:
        raise error
