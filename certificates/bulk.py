"""Bulk writes to certifications that keep the services' promises.

Every service that changes a certification bumps its ``revision`` (two people working from the
same page conflict instead of overwriting each other: services/common.py) and leaves a history
row (django-fsm-log's StateLog: who, when, from, to, why; accreditation assessors read it). An
import or the demo seeding writes thousands of certifications at once; here they do it in a
fixed number of queries and still keep both promises: one bulk insert or update of the
certifications, then one bulk insert of their history rows (pretix's
``log_action(..., save=False)`` collected, then one ``bulk_create``).

- :func:`certifications_create`: new certifications, each in the state it carries, with a
  history row from no state to it (``open`` unless the caller names another);
- :func:`certifications_update`: fields of existing certifications, ``revision`` + 1 in SQL,
  with a history row each (the state does not change: from it to it);
- :func:`certifications_log`: the history rows alone, for a write made another way.

A change of state is a transition, never a bulk write: the services take it (core/transitions.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from infra.tabular.pgbulk import bulk_update

from .models import Certification

# What the history rows of bulk writes name as their transition (no transition of the model
# has these names: the admin's history shows them as they are).
OPENED = "open"
UPDATED = "update"
BATCH = 1000

_SAME = object()  # certifications_log's default source state: the certification's own

When = datetime.datetime | Callable[[Certification], datetime.datetime] | None


def certifications_create(
    certifications: list[Certification],
    *,
    by=None,
    description: str = "",
    transition: str = OPENED,
    at: When = None,
    batch_size: int = BATCH,
) -> list[Certification]:
    """Insert unsaved ``certifications`` (each in the state it carries), and one history row
    each: from no state to its state, ``transition``, ``by``, ``description``, dated ``at``
    (None: now; a datetime; or a function of the certification). ``revision`` and
    ``state_since`` are written as the objects carry them. Every object gets its pk, also
    where the database returns none (read back by client and standard, unique together)."""
    if not certifications:
        return certifications
    Certification.objects.bulk_create(certifications, batch_size=batch_size)
    if certifications[0].pk is None:
        _read_back_pks(certifications)
    certifications_log(
        certifications,
        transition=transition,
        by=by,
        description=description,
        source_state=None,
        at=at,
        batch_size=batch_size,
    )
    return certifications


def certifications_update(
    certifications: list[Certification],
    fields: Sequence[str],
    *,
    by=None,
    description: str = "",
    transition: str = UPDATED,
    at: When = None,
    batch_size: int = BATCH,
) -> None:
    """Save ``fields`` of existing ``certifications`` (PostgreSQL: one ``UPDATE ... FROM
    unnest`` per batch) with ``revision = revision + 1`` in SQL, so a concurrent service's
    bump is not lost (the objects' ``revision`` goes up by one too), and one history row each:
    from its state to the same state, ``transition``, ``by``, ``description``, dated ``at``.
    Not for the state: a change of state is a transition."""
    if not certifications:
        return
    if "state" in fields or "revision" in fields:
        raise ValueError("the state changes by a transition; the revision by this service")
    bulk_update(Certification, certifications, list(fields), increment=("revision",))
    for cert in certifications:
        cert.revision += 1
    certifications_log(
        certifications,
        transition=transition,
        by=by,
        description=description,
        at=at,
        batch_size=batch_size,
    )


def certifications_log(
    certifications: list[Certification],
    *,
    transition: str,
    by=None,
    description: str = "",
    source_state=_SAME,
    at: When = None,
    batch_size: int = BATCH,
) -> list[StateLog]:
    """One StateLog row per certification, in one bulk insert: to its state from
    ``source_state`` (default: the same state; None: no state, it was just created)."""
    content_type = ContentType.objects.get_for_model(Certification)
    now = timezone.now()
    by_id = getattr(by, "pk", by)
    rows = [
        StateLog(
            timestamp=now if at is None else (at(cert) if callable(at) else at),
            by_id=by_id,
            source_state=cert.state if source_state is _SAME else source_state,
            state=cert.state,
            transition=transition,
            content_type=content_type,
            object_id=cert.pk,
            description=description or None,
        )
        for cert in certifications
    ]
    return StateLog.objects.bulk_create(rows, batch_size=batch_size)


def _read_back_pks(certifications: list[Certification]) -> None:
    """The pks of certifications just inserted by a database that returns none (one query
    per BATCH clients)."""
    pks = {}
    client_ids = sorted({c.client_id for c in certifications})
    for start in range(0, len(client_ids), BATCH):
        rows = Certification.objects.filter(
            client_id__in=client_ids[start : start + BATCH]
        ).values_list("pk", "client_id", "standard_id")
        for pk, client_id, standard_id in rows:
            pks[(client_id, standard_id)] = pk
    for cert in certifications:
        cert.pk = pks[(cert.client_id, cert.standard_id)]
        cert._state.adding = False
