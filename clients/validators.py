"""Registration ids. Chinese entities carry the 18-character unified social credit code of
GB 32100-2015; python-stdnum implements its check character (stdnum.cn.uscc).

Layout (GB 32100-2015 4): 1 registration authority (e.g. 9 market regulation, 5 civil affairs,
N agriculture, Y other), 2 entity category, 3-8 administrative division (digits), 9-17 the
organisation code, 18 the check character. stdnum's own ``validate`` insists on digits in
positions 1-2, which would refuse real codes such as N2..., so the format is checked here and
only the check character follows stdnum (its weights, computed here without its per-call
clean-up: the import checks every row; tests/clients/test_uscc.py compares the two).
"""

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


def normalise_uscc(value: str) -> str:
    """Upper-case, without spaces or hyphens (and full-width characters folded)."""
    import unicodedata

    return unicodedata.normalize("NFKC", value or "").replace(" ", "").replace("-", "").upper()


# stdnum.cn.uscc's weights, applied to the values of ALPHABET (its _alphabet).
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def uscc_check_character(body: str) -> str:
    """The check character (position 18) of the 17 characters ``body`` (GB 32100-2015)."""
    total = sum(_VALUE[c] * w for c, w in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total) % 31]


def uscc_error(code: str) -> ValidationError | None:
    """What is wrong with an already normalised (:func:`normalise_uscc`) code, or None: the
    error validate_uscc() raises, without normalising again (the import cleans every row)."""
    if len(code) != 18:
        return ValidationError(MSG_USCC_LENGTH, code="uscc_length", params={"n": len(code)})
    if not code[2:8].isdigit() or any(c not in _VALUE for c in code):
        return ValidationError(MSG_USCC_FORMAT, code="uscc_format")
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return ValidationError(
            MSG_USCC_CHECK, code="uscc_checksum", params={"expected": expected, "found": code[17]}
        )
    return None


def validate_uscc(value: str) -> None:
    """Raise a ValidationError a person understands if ``value`` is not a valid USCC."""
    error = uscc_error(normalise_uscc(value))
    if error is not None:
        raise error
