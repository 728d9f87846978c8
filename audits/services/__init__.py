"""Use cases of the audits app (writes): audits and findings, audit time, the audit
programme, teams, bookings and team suggestions. Import from here: ``from audits import
services``. Audit time's use case lives in its package (``audits.audit_time.services``)."""

from audits.audit_time.services import *  # noqa: F403
from audits.audit_time.services import __all__ as _audit_time_all

from .audits import *  # noqa: F403
from .audits import __all__ as _audits_all
from .bookings import *  # noqa: F403
from .bookings import __all__ as _bookings_all
from .programme import *  # noqa: F403
from .programme import __all__ as _programme_all
from .suggestions import *  # noqa: F403
from .suggestions import __all__ as _suggestions_all
from .teams import *  # noqa: F403
from .teams import __all__ as _teams_all

__all__ = [
    *_audits_all,
    *_audit_time_all,
    *_bookings_all,
    *_programme_all,
    *_suggestions_all,
    *_teams_all,
]
