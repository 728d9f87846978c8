"""Certification use cases (writes), always in the same order (pretix's shape; common.py):

    transaction.atomic() -> select_for_update() -> conflict check -> permission ->
    transition (rules) -> save() -> decision / certificate rows -> on_commit effects

Each takes the certification *as the user saw it*: if someone else changed it meanwhile
(``revision`` moved on), the service refuses with a conflict message and changes nothing.
``by=None`` means the system acts (e.g. the nightly expiry task). Import from here:
``from certificates import services``.

- applications.py: record an application, open certifications, the application review;
- stages.py: stage 1 and stage 2, submission for decision, surveillance counted;
- decisions.py: grant, refuse, recertify, restore, suspend, lift, withdraw, scope, expiry;
- scope_extensions.py: the scope extension application, review, audit and decision;
- imported.py: existing certificates brought in from elsewhere;
- certificates.py: certificate numbers and versions (also for bulk writers);
- common.py: locking, transitions, decisions, shared by all of these.
"""

from ..errors import CertificationConflict, CertificationError
from .applications import (
    application_accept,
    application_accept_problems,
    application_intake_certifications,
    application_open_certifications,
    application_open_problems,
    application_record_documents,
    application_submit,
    application_update_intake,
    certification_accept,
    certification_reject,
    certification_start_review,
)
from .certificates import (
    certificate_build,
    certificate_number_for,
    certification_record_soa_version,
)
from .common import certification_touch
from .decisions import (
    certification_designate_decision_maker,
    certification_expire,
    certification_extend_scope,
    certification_grant,
    certification_lift_suspension,
    certification_recertify,
    certification_reduce_scope,
    certification_refuse,
    certification_restore_after_expiry,
    certification_suspend,
    certification_withdraw,
    expire_due_certifications,
)
from .imported import certification_import_existing
from .scope_extensions import (
    scope_extension_apply,
    scope_extension_apply_problems,
    scope_extension_grant,
    scope_extension_plan_audit,
    scope_extension_refuse,
    scope_extension_review,
)
from .stages import (
    certification_plan_stage1,
    certification_plan_stage2,
    certification_record_surveillance,
    certification_submit_for_decision,
)

__all__ = [
    "CertificationConflict",
    "CertificationError",
    "application_accept",
    "application_accept_problems",
    "application_intake_certifications",
    "application_open_certifications",
    "application_open_problems",
    "application_record_documents",
    "application_submit",
    "application_update_intake",
    "certificate_build",
    "certificate_number_for",
    "certification_accept",
    "certification_designate_decision_maker",
    "certification_expire",
    "certification_extend_scope",
    "certification_grant",
    "certification_import_existing",
    "certification_lift_suspension",
    "certification_plan_stage1",
    "certification_plan_stage2",
    "certification_recertify",
    "certification_record_soa_version",
    "certification_record_surveillance",
    "certification_reduce_scope",
    "certification_refuse",
    "certification_reject",
    "certification_restore_after_expiry",
    "certification_start_review",
    "certification_submit_for_decision",
    "certification_suspend",
    "certification_touch",
    "certification_withdraw",
    "expire_due_certifications",
    "scope_extension_apply",
    "scope_extension_apply_problems",
    "scope_extension_grant",
    "scope_extension_plan_audit",
    "scope_extension_refuse",
    "scope_extension_review",
]
