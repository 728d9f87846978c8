"""The certificates app's models, one module per concern; import them from here
(``from certificates.models import Certification``).

- lifecycle.py: the certification's states and transitions (the state machine);
- certification.py: the certification record, its queryset vocabulary and import checks;
- decisions.py: certification decisions;
- certificate.py: certificate versions and what they print about their holder;
- scope_extensions.py: the scope extension application (a state machine of its own);
- certsearch_upload.py: the monthly IAF CertSearch upload duty.
"""

from .certificate import (
    PDF_PENDING,
    Certificate,
    CertificateStatus,
    holder_of,
    number_key,
    sites_in_scope,
)
from .certification import (
    MSG_EXPIRED_NO_SUSPEND,
    MSG_EXPIRED_NO_WITHDRAW,
    MSG_EXTENSION_NOT_GRANTED,
    MSG_IMPORT_CYCLE_TOO_LONG,
    MSG_IMPORT_EXPIRED_NOT_PAST,
    MSG_IMPORT_EXPIRY_BEFORE_ISSUE,
    MSG_IMPORT_ISSUED_IN_FUTURE,
    MSG_IMPORT_NEXT_OUTSIDE_CYCLE,
    MSG_IMPORT_ORIGINAL_AFTER_ISSUE,
    MSG_IMPORT_TARGET,
    MSG_IMPORT_TRANSFER_NOT_ACTIVE,
    MSG_IMPORT_VALID_PAST_EXPIRY,
    MSG_SUSPENDED_RECENTLY,
    MSG_WITHDRAWN_RECENTLY,
    Certification,
    CertificationQuerySet,
    decision_transitions,
)
from .certsearch_upload import CertSearchUpload
from .decisions import Decision, DecisionOutcome, Ending
from .lifecycle import IMPORT_TARGETS, CertificationLifecycle, State
from .scope_extensions import ExtensionState, ScopeExtension

__all__ = [
    "IMPORT_TARGETS",
    "MSG_EXPIRED_NO_SUSPEND",
    "MSG_EXPIRED_NO_WITHDRAW",
    "MSG_EXTENSION_NOT_GRANTED",
    "MSG_IMPORT_CYCLE_TOO_LONG",
    "MSG_IMPORT_EXPIRED_NOT_PAST",
    "MSG_IMPORT_EXPIRY_BEFORE_ISSUE",
    "MSG_IMPORT_ISSUED_IN_FUTURE",
    "MSG_IMPORT_NEXT_OUTSIDE_CYCLE",
    "MSG_IMPORT_ORIGINAL_AFTER_ISSUE",
    "MSG_IMPORT_TARGET",
    "MSG_IMPORT_TRANSFER_NOT_ACTIVE",
    "MSG_IMPORT_VALID_PAST_EXPIRY",
    "MSG_SUSPENDED_RECENTLY",
    "MSG_WITHDRAWN_RECENTLY",
    "PDF_PENDING",
    "CertSearchUpload",
    "Certificate",
    "CertificateStatus",
    "Certification",
    "CertificationLifecycle",
    "CertificationQuerySet",
    "Decision",
    "DecisionOutcome",
    "Ending",
    "ExtensionState",
    "ScopeExtension",
    "State",
    "decision_transitions",
    "holder_of",
    "number_key",
    "sites_in_scope",
]
