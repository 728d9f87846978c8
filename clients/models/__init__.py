"""Organisations that apply for certification, their sites and contacts, the standards they
apply for, and their applications with the intake conditions of shared/domain.md.

- catalogue.py: standards, their intake checklists (required documents), IAF technical areas;
- organisations.py: clients, sites, contacts, penalties, the search fields of names;
- applications.py: applications, their intake conditions and received documents;
- import_job.py: client-list imports.
"""

from .applications import (
    MSG_INTERNAL_AUDIT_BEFORE_OPERATION,
    MSG_PENALTY,
    MSG_REVIEW_BEFORE_OPERATION,
    Application,
    ApplicationDocument,
)
from .catalogue import RequiredDocument, Standard, TechnicalArea
from .import_job import ImportJob
from .organisations import (
    MSG_REGISTRATION_INVALID,
    MSG_REGISTRATION_MISSING,
    Client,
    Contact,
    Penalty,
    Site,
    normalise_search,
    search_grams,
    token_grams,
)

__all__ = [
    "MSG_INTERNAL_AUDIT_BEFORE_OPERATION",
    "MSG_PENALTY",
    "MSG_REGISTRATION_INVALID",
    "MSG_REGISTRATION_MISSING",
    "MSG_REVIEW_BEFORE_OPERATION",
    "Application",
    "ApplicationDocument",
    "Client",
    "Contact",
    "ImportJob",
    "Penalty",
    "RequiredDocument",
    "Site",
    "Standard",
    "TechnicalArea",
    "normalise_search",
    "search_grams",
    "token_grams",
]
