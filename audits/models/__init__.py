"""The audits app's models: audits and findings, audit time (its module is in the audit_time
package, beside the arithmetic), and auditors."""

from audits.audit_time.models import AuditTimeCalculation, AuditTimeRow, AuditTimeTable

from .auditors import (
    BARRING_RELATIONSHIPS,
    AuditorProfile,
    AuditRole,
    Booking,
    BookingKind,
    ImpartialityDeclaration,
    Qualification,
    RelationshipDeclaration,
    RelationshipKind,
    Unavailability,
)
from .audits import (
    RECOMMENDATIONS_BY_KIND,
    Audit,
    AuditKind,
    AuditQuerySet,
    AuditState,
    Finding,
    FindingQuerySet,
    FindingState,
    Grade,
    Recommendation,
)

__all__ = [
    "BARRING_RELATIONSHIPS",
    "RECOMMENDATIONS_BY_KIND",
    "Audit",
    "AuditKind",
    "AuditQuerySet",
    "AuditRole",
    "AuditState",
    "AuditTimeCalculation",
    "AuditTimeRow",
    "AuditTimeTable",
    "AuditorProfile",
    "Booking",
    "BookingKind",
    "Finding",
    "FindingQuerySet",
    "FindingState",
    "Grade",
    "ImpartialityDeclaration",
    "Qualification",
    "Recommendation",
    "RelationshipDeclaration",
    "RelationshipKind",
    "Unavailability",
]
