"""Registration ids. Chinese entities carry the 18-character unified social credit code of
GB 32100-2015; python-stdnum implements its check character (stdnum.cn.uscc)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc

MSG_USCC_LENGTH = _("A unified social credit code has 18 characters; this one has %(n)d.")
MSG_USCC_FORMAT = _(
    "A unified social credit code uses digits and the capital letters ABCDEFGHJKLMNPQRTUWXY only."
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
    try:
        uscc.validate(code)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            MSG_USCC_CHECK,
            code="uscc_checksum",
            params={"expected": uscc.calc_check_digit(code[:17]), "found": code[17]},
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(MSG_USCC_FORMAT, code="uscc_format") from None
