"""Read certification policy settings (see CERTBODY in certbody/settings/base.py)."""

from django.conf import settings

# The values CERTBODY["SURVEILLANCE_OVERDUE_ACTION"] accepts: what the daily scan does with an
# overdue surveillance (certificates/reminders.py). Here, with no model behind it, because the
# project's system check reads it before the apps load (gunicorn.conf.py's when_ready).
SURVEILLANCE_OVERDUE_ACTIONS = ("propose", "suspend")


def policy(name: str):
    """The value of one policy setting, e.g. ``policy("STAGE1_VALIDITY_MONTHS")``."""
    return settings.CERTBODY[name]
