"""The audits app's domain error: why an audit, finding, team or audit-time action was
refused, in words for the user. Its own module so that every service module (audits,
teams, bookings, programme, audit time) raises the same error without importing another."""

from core.errors import ConflictError, DomainError


class AuditError(DomainError):
    """Why an audit or finding action was refused, in words for the user."""


class AuditConflict(AuditError, ConflictError):
    pass
