"""What the audits app tells the apps above it. Audits sits below certificates (pyproject.toml,
``[tool.importlinter]``) and never imports it: where an audit use case must change the
certification it belongs to, it sends one of these signals inside its own transaction, at the
point where that change belongs, and the certificates app answers (certificates/receivers.py,
connected in ``CertificatesConfig.ready``).

Both are sent with ``sender=Audit``. A receiver's exception propagates (``send``, not
``send_robust``) and rolls the use case back, as a refusal of the certification would.
"""

from django.dispatch import Signal

# Sent by ``audit_plan`` before anything is written, inside its transaction, with
# ``certification`` (as the caller holds it), ``by`` (the user, None for the system) and
# ``permission`` (the permission planning needs). The certification's owner checks the
# permission, locks the certification (refusing a stale copy) and records the change, and
# returns the locked certification, which the planning then reads (its state, cycle, expiry).
# Exactly one receiver must return it: see ``audits.services.audits._certification_for_planning``.
audit_planning = Signal()

# Sent by ``audit_close`` inside its transaction, right after the audit is closed and saved,
# with ``audit`` (the locked, closed audit), ``by`` (who closed it) and ``on`` (the day). The
# certificates app counts a surveillance towards the cycle's programme
# (``certification_record_surveillance``).
audit_closed = Signal()
