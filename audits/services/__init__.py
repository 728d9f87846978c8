"""Use cases of the audits app (writes): audits and findings, audit time, the audit
programme, teams and bookings. Import from here: ``from audits import services``."""

from .audit_time import *  # noqa: F403
from .audit_time import __all__ as _audit_time_all
from .audits import *  # noqa: F403
from .audits import AuditConflict, AuditError  # noqa: F401
from .audits import __all__ as _audits_all
from .programme import *  # noqa: F403
from .programme import __all__ as _programme_all
from .teams import *  # noqa: F403
from .teams import __all__ as _teams_all

__all__ = [*_audits_all, "AuditConflict", *_audit_time_all, *_programme_all, *_teams_all]
