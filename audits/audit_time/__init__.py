"""Audit time (IAF MD 5, MD 11, MD 1; ISO/IEC 20000-6 9.1.4): everything about it in one place.

The arithmetic, pure (no database), re-exported here: ``from audits.audit_time import
calculate, Table``.

- ``calculation``: ``calculate``, the steps in the order an assessor checks them, and the
  stage / surveillance / recertification split;
- ``inputs``: the error, the numbers (Decimals, half days) and the cleaning of factors,
  integration reduction and sampled sites;
- ``tables``: a standard's table as values, its band checks and the table time;
- ``trace``: the plain-language line of each step, rendered again in any language.

The Django side, imported from its module (not from here, because this package is imported
while the models load):

- ``models``: the tables staff edit and import and the calculation kept with each
  application. The model module lives here, beside the arithmetic its methods call, rather
  than in ``audits/models/``: ``audits.models`` imports it, so Django and every caller still
  find the models there (``from audits.models import AuditTimeTable``);
- ``services``: ``audit_time_calculate`` (re-exported by ``audits.services``);
- ``forms`` and ``admin``: the table and calculation admin, and the "Calculate audit time"
  page of an application (mounted by the application's admin in the certificates app).

Elsewhere by necessity: the table import/export resource (``audits/resources.py``, the app's
django-import-export module), the command ``audit_time`` (``audits/management/commands/``,
where Django finds commands) and the templates (``templates/audits/audit_time_*.html``).
"""

from .calculation import (
    RESULT_KEYS,
    Calculation,
    Figures,
    StandardResult,
    calculate,
    split,
)
from .inputs import (
    AuditTimeInputError,
    Factor,
    Reduction,
    SampledSite,
    ceil_half_days,
    fmt,
    round_half_days,
)
from .tables import Band, Table, base_days, table_problems
from .trace import render_line, render_trace

__all__ = [
    "RESULT_KEYS",
    "AuditTimeInputError",
    "Band",
    "Calculation",
    "Factor",
    "Figures",
    "Reduction",
    "SampledSite",
    "StandardResult",
    "Table",
    "base_days",
    "calculate",
    "ceil_half_days",
    "fmt",
    "render_line",
    "render_trace",
    "round_half_days",
    "split",
    "table_problems",
]
