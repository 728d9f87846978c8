"""Registration ids. Chinese entities carry the 18-character unified social credit code of
GB 32100-2015; python-stdnum implements its check character (stdnum.cn.uscc).

Layout (GB 32100-2015 4): 1 registration authority (e.g. 9 market regulation, 5 civil affairs,
N agriculture, Y other), 2 entity category, 3-8 administrative division (digits), 9-17 the
organisation code, 18 the check character. stdnum's own ``validate`` insists on digits in
positions 1-2, which would refuse real codes such as N2..., so the format is checked here and
only the check character is taken from stdnum.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc

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


def validate_uscc(value: str) -> None:
    """Raise a ValidationError a person understands if ``value`` is not a valid USCC."""
    code = normalise_uscc(value)
    if len(code) != 18:
        raise ValidationError(MSG_USCC_LENGTH, code="uscc_length", params={"n": len(code)})
    if any(c not in ALPHABET for c in code) or not code[2:8].isdigit():
        raise ValidationError(MSG_USCC_FORMAT, code="uscc_format")
    expected = uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise ValidationError(
            MSG_USCC_CHECK, code="uscc_checksum", params={"expected": expected, "found": code[17]}
        )
