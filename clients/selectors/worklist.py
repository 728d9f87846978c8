"""Applications whose intake is incomplete, in SQL: the home page counts them and the
applications list filters on them (``?intake=incomplete``) with the same definition.

``Application.intake_problems`` says in words why one application cannot be accepted; it reads
the application row by row. Here the same conditions are one SQL condition, so a list of
thousands of applications is filtered and counted in the database:

- the legal registration not checked; the system's start date missing, or less than
  MIN_OPERATING_MONTHS before the application; no internal audit or no management review
  before the application, or one before the system started; no declaration of no
  administrative penalty; a recorded penalty from a year before the system started
  (``Application.penalty_window_start``);
- a required document of the standard not received.

Left to the page of the application: the check characters of the credit code (checked when
the client is saved; only a code imported without the check can fail it).
"""

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from core.policy import policy

from ..models import Application, ApplicationDocument, Penalty, RequiredDocument, Standard


class AddMonths(Func):
    """``expression`` + ``months`` calendar months, clamped to the month's end as
    core.dates.add_months (31 January + 1 month = 28/29 February), in SQL."""

    output_field = DateField()

    def __init__(self, expression, months: int, **extra):
        self.months = int(months)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"AddMonths has no SQL for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        # PostgreSQL's date + interval clamps to the month's end, as relativedelta does.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) + make_interval(months => %s))::date", [*params, self.months]

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite's date(x, '+N months') rolls over (31 January + 1 month = 2 or 3 March): the
        # earlier of that and the last day of the target month is the clamped date.
        sql, params = compiler.compile(self.source_expressions[0])
        n = self.months
        shifted = f"date({sql}, '{n:+d} months')"
        month_end = f"date({sql}, 'start of month', '{n + 1:+d} months', '-1 day')"
        return f"min({shifted}, {month_end})", [*params, *params]


def conditions_failing(prefix: str = "") -> Q:
    """The intake conditions (not the documents) that fail, on the application reached by
    ``prefix`` ("" for an Application queryset, "application__" from a certification)."""

    def f(name):
        return F(prefix + name)

    def field(name):
        return prefix + name

    since = f("system_operating_since")
    received = f("received_on")
    months = policy("MIN_OPERATING_MONTHS")
    penalty = Penalty.objects.filter(
        client_id=OuterRef(field("client_id")),
        decided_on__gte=AddMonths(
            Coalesce(OuterRef(field("system_operating_since")), OuterRef(field("received_on"))), -12
        ),
    )
    return (
        Q(**{field("legal_registration_checked"): False})
        | Q(**{field("no_penalty_declared"): False})
        | Q(**{f"{field('system_operating_since')}__isnull": True})
        | Q(**{f"{field('internal_audit_on')}__isnull": True})
        | Q(**{f"{field('management_review_on')}__isnull": True})
        | Q(**{f"{field('internal_audit_on')}__gt": received})
        | Q(**{f"{field('management_review_on')}__gt": received})
        | Q(**{f"{field('internal_audit_on')}__lt": since})
        | Q(**{f"{field('management_review_on')}__lt": since})
        | Q(**{f"{field('received_on')}__lt": AddMonths(since, months)})
        | Exists(penalty)
    )


def documents_missing(*, application: str = "pk", standard: str | None = None) -> Exists:
    """A required document not received, for the application whose id is the outer row's
    ``application`` field: of the standard in the outer row's ``standard`` field (a
    certification's ``standard_id``), else of any of the application's standards."""
    received = ApplicationDocument.objects.filter(
        application_id=OuterRef(OuterRef(application)), received_on__isnull=False
    ).values("required_document_id")
    required = (
        RequiredDocument.objects.filter(standard_id=OuterRef(standard))
        if standard
        else RequiredDocument.objects.filter(standard__applications=OuterRef(application))
    )
    return Exists(required.exclude(pk__in=received))


def documents_missing_count(*, application: str, standard: str) -> Coalesce:
    """How many required documents of the outer row's ``standard`` the application in its
    ``application`` field has not received."""
    received = ApplicationDocument.objects.filter(
        application_id=OuterRef(OuterRef(application)), received_on__isnull=False
    ).values("required_document_id")
    missing = (
        RequiredDocument.objects.filter(standard_id=OuterRef(standard))
        .exclude(pk__in=received)
        .order_by()
        .values("standard_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(missing, output_field=IntegerField()), 0)


def intake_incomplete(applications: QuerySet | None = None) -> QuerySet:
    """The applications (an Application queryset) with a failing intake condition or a
    document missing for any of their standards."""
    applications = Application.objects.all() if applications is None else applications
    return applications.filter(conditions_failing() | Q(documents_missing()))


def intake_may_be_complete() -> Q:
    """A condition every application with a complete intake meets, for a list of complete
    ones to start from: a document received (or only standards without a checklist). Complete
    intakes are few among the open applications: the planner reads these candidates (an index
    on the documents) instead of judging every open application (4.5 s for none found at
    ~500 k certifications, perf.md). Exact: ``~intake_incomplete`` decides."""
    received = ApplicationDocument.objects.filter(received_on__isnull=False).values(
        "application_id"
    )
    candidates = Q(pk__in=received)
    bare = list(
        Standard.objects.filter(required_documents__isnull=True).values_list("pk", flat=True)
    )
    if bare:
        of_bare = Application.standards.through.objects.filter(standard_id__in=bare)
        candidates |= Q(pk__in=of_bare.values("application_id"))
    return candidates
