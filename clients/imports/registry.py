"""Where the apps above clients plug into its imports (they register at AppConfig.ready()).

Two plug-in points, both owned here because clients sits below the apps that fill them:

- **Kinds of ImportJob** (``ImportJob.Kind``): how a file of each kind is imported and who may
  import one. clients registers the client list (clients/apps.py); certificates registers
  existing certificates (certificates/apps.py). The job runner (runner.py) and the admin
  (clients/admin/imports.py) look a kind up here, never import the app that runs it.
- **The applications of a client list**: a client list row may name a standard, which is the
  client's application for certification to it. Opening (or updating) that certification is
  the certificates app's business, so the client import hands the rows with a standard to the
  step certificates registered (certificates/imports/client_applications.py), once the
  chunk's clients are written.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # annotations only: client_import imports this module
    from .client_import import ClientImportReport
    from .rows import ClientRow


@dataclass(frozen=True)
class ImportKind:
    """One kind of ImportJob. ``run(source, *, encoding, dry_run, progress, by)`` imports the
    file (``dry_run``: the preview) and returns its report (``as_dict()``, ``total``);
    ``permissions``: all of them are needed to upload a file of this kind."""

    run: Callable[..., Any]
    permissions: tuple[str, ...]


IMPORT_KINDS: dict[str, ImportKind] = {}


def register_import_kind(name: str, kind: ImportKind) -> None:
    """Register the kind ``name`` (an ImportJob.Kind value); registering it twice is an error
    (two apps would claim the same files)."""
    if IMPORT_KINDS.get(name, kind) != kind:
        raise ImproperlyConfigured(f"import kind {name!r} registered twice")
    IMPORT_KINDS[name] = kind


def import_kind(name: str) -> ImportKind:
    """The registered kind ``name``; LookupError if no app registered it."""
    try:
        return IMPORT_KINDS[name]
    except KeyError:
        raise LookupError(f"no import kind {name!r} is registered (AppConfig.ready)") from None


class ApplicationStep(Protocol):
    """Writes the applications of one chunk of a client list, after its clients: ``rows`` are
    (row, the client's pk, whether the client existed before this chunk) for each row naming a
    standard. It counts what it did in the report's ``applications_*``."""

    def write(self, rows: list[tuple[ClientRow, int, bool]]) -> None: ...


# (report, *, received_on, by) -> the step for one import.
ApplicationStepFactory = Callable[..., ApplicationStep]

_application_steps: list[ApplicationStepFactory] = []


def register_application_step(factory: ApplicationStepFactory) -> None:
    """Register what a client list row's standard becomes (one step; again the same is a no-op)."""
    if _application_steps and _application_steps[0] is not factory:
        raise ImproperlyConfigured("the client list's application step is registered twice")
    _application_steps[:] = [factory]


def application_step(
    report: ClientImportReport, *, received_on: datetime.date, by
) -> ApplicationStep:
    """The registered application step, for one import."""
    if not _application_steps:
        raise ImproperlyConfigured(
            "no application step is registered: a client list naming a standard needs the "
            "certificates app (certificates/apps.py)"
        )
    return _application_steps[0](report, received_on=received_on, by=by)
