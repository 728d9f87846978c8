"""The certificates app's domain error: why a certification, scope extension or import action
was refused, in words for the user. Its own module so that every service module raises the same
error without importing another."""

from core.errors import ConflictError, DomainError


class CertificationError(DomainError):
    """Why a certification action was refused, in words for the user."""


class CertificationConflict(CertificationError, ConflictError):
    pass
