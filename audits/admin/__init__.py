"""The audits app's admin, one module per concern: audits (with the team and reschedule
pages), findings, auditors (profiles, qualifications, declarations, unavailability), and audit
time (its tables and calculations, in the audit_time package). Importing them registers them."""

from audits.audit_time import admin as audit_time_admin  # noqa: F401

from . import auditors, audits, findings  # noqa: F401
