"""Read certification policy settings (see CERTBODY in certbody/settings/base.py)."""

from django.conf import settings


def policy(name: str):
    """The value of one policy setting, e.g. ``policy("STAGE1_VALIDITY_MONTHS")``."""
    return settings.CERTBODY[name]
