"""The public status of a certificate, in the IAF CertSearch vocabulary.

Anyone may learn the status of a certificate (shared/domain.md, "Certificates and the public").
The public words are IAF CertSearch's: Active, Suspended, Withdrawn, Cancelled, Expired.
Withdrawn (撤销) is the body's sanction for failing the requirements; Cancelled (注销) an ending at
the client's request or because it ceased the certified activities (Decision.ending).
Everything else (applications, drafts, refused certifications) is never public.

- ``public_status(certificate)`` -> "active" | "suspended" | "withdrawn" | "cancelled" |
  "expired" | None.
  A superseded version has no public status of its own (None): the public page shows it as
  "superseded — replaced by vN" (see ``SUPERSEDED_LABEL``) and the CertSearch export leaves it
  out (one row per certification: its newest version).
- ``certification_public_status(certification)`` -> the status of the certification's newest
  certificate version, or None when it was never granted.
- ``STATUS_LABELS`` / ``STATUS_EXPLANATIONS`` / ``label()`` / ``explanation()``: translated
  display text (gettext_lazy); ``CERTSEARCH_STATUS`` the exact English words of the IAF template.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import CertificateStatus, State

ACTIVE = "active"
SUSPENDED = "suspended"
WITHDRAWN = "withdrawn"
CANCELLED = "cancelled"
EXPIRED = "expired"

PUBLIC_STATUSES = (ACTIVE, SUSPENDED, WITHDRAWN, CANCELLED, EXPIRED)

STATUS_LABELS = {
    ACTIVE: _("Active"),
    SUSPENDED: _("Suspended"),
    WITHDRAWN: _("Withdrawn"),
    # A context: "Cancelled" alone is an audit's state (已取消); a certificate is 已注销.
    CANCELLED: pgettext_lazy("certificate status", "Cancelled"),
    EXPIRED: _("Expired"),
}

STATUS_EXPLANATIONS = {
    ACTIVE: _("The certificate is valid: the organisation is certified for the scope shown."),
    SUSPENDED: _(
        "The certificate is temporarily invalid: the certification body has suspended it "
        "until the organisation resolves the issues found. It may be restored or withdrawn."
    ),
    WITHDRAWN: _("The certificate is no longer valid: the certification body has withdrawn it."),
    CANCELLED: _(
        "The certificate is no longer valid: the certification body has cancelled it at the "
        "organisation's request or because the organisation ceased the certified activities."
    ),
    EXPIRED: _(
        "The certificate is no longer valid: it reached its expiry date without being renewed."
    ),
}

SUPERSEDED_LABEL = _("Superseded")
SUPERSEDED_EXPLANATION = _(
    "This version of the certificate has been replaced by a newer version; check the newest "
    "version for the current status."
)

# The exact (untranslated) words of the IAF CertSearch template's status column.
CERTSEARCH_STATUS = {
    ACTIVE: "Active",
    SUSPENDED: "Suspended",
    WITHDRAWN: "Withdrawn",
    CANCELLED: "Cancelled",
    EXPIRED: "Expired",
}

_BY_CERTIFICATE_STATUS = {
    CertificateStatus.CURRENT: ACTIVE,
    CertificateStatus.SUSPENDED: SUSPENDED,
    CertificateStatus.WITHDRAWN: WITHDRAWN,
    CertificateStatus.CANCELLED: CANCELLED,
    CertificateStatus.EXPIRED: EXPIRED,
}


def public_status(certificate, *, on: datetime.date | None = None) -> str | None:
    """The public status of one certificate version, or None when it has none.

    Follows the certificate's own status (services keep it in step with the certification).
    Defensive against a lagging status: a current version of a suspended/withdrawn/expired
    certification shows that state (a lagging cancelled one shows as withdrawn: the kind of
    ending is on the decision, which this does not read), and, given ``on``, a current
    version past its expiry date shows as expired (the nightly expiry task may not have run
    yet).
    """
    status = _BY_CERTIFICATE_STATUS.get(certificate.status)
    if status is None:  # superseded (or an unknown value): no public status of its own
        return None
    if status in (ACTIVE, SUSPENDED):
        state = certificate.certification.state
        if state == State.SUSPENDED:
            status = SUSPENDED
        elif state == State.WITHDRAWN:
            status = WITHDRAWN
        elif state == State.EXPIRED:
            status = EXPIRED
        if on is not None and certificate.expiry_date and certificate.expiry_date < on:
            status = EXPIRED
    return status


def certification_public_status(certification, *, on: datetime.date | None = None) -> str | None:
    """The public status of a certification: that of its newest certificate version; None
    when no certificate was ever issued (never granted)."""
    newest = certification.certificates.order_by("-version").first()
    if newest is None:
        return None
    return public_status(newest, on=on)


def label(status: str | None):
    """Translated label of a public status ("" for None)."""
    return STATUS_LABELS.get(status, "")


def explanation(status: str | None):
    """Translated plain explanation of a public status ("" for None)."""
    return STATUS_EXPLANATIONS.get(status, "")
