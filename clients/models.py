"""Organisations that apply for certification, their sites and contacts, the standards they
apply for, and their applications with the intake conditions of shared/domain.md."""

import datetime
import operator
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.dates import add_months
from core.policy import policy

from .validators import normalise_uscc, validate_uscc

MSG_REGISTRATION_MISSING = _("The registration id is empty.")
MSG_REGISTRATION_INVALID = _("The client's registration id %(id)s is not valid: %(problem)s")
MSG_INTERNAL_AUDIT_BEFORE_OPERATION = _(
    "The internal audit of %(day)s is before the management system started operating "
    "(%(since)s): it must fall within the operating period."
)
MSG_REVIEW_BEFORE_OPERATION = _(
    "The management review of %(day)s is before the management system started operating "
    "(%(since)s): it must fall within the operating period."
)
MSG_PENALTY = _(
    "An administrative penalty of %(day)s by %(authority)s falls within the operation of the "
    "management system or the year before it (from %(start)s): the application cannot be "
    "accepted."
)


def normalise_search(text: str) -> str:
    """Text as the public name search compares it: NFKC (full-width to half-width), case folded,
    control characters dropped, whitespace collapsed. full-width "ABC  Ltd" -> "abc ltd"."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if not text.isprintable():  # printable text has no control character: skip the scan
        text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(text.split())  # str.split() splits on what re's \s matches


def token_grams(token: str) -> list[str]:
    """The distinct bigrams of one token in order of first appearance ("华为云" -> 华为, 为云);
    a one-character token is its own gram."""
    if len(token) < 2:
        return [token] if token else []
    return list(dict.fromkeys(token[i : i + 2] for i in range(len(token) - 1)))


def search_grams(search_text: str) -> str:
    """Space-separated distinct bigrams of every token of an already normalised text: what the
    PostgreSQL GIN index on ``string_to_array(search_grams, ' ')`` holds (a two-character
    Chinese name like 华为 is one gram, which a trigram index could not look up)."""
    grams = {}
    for token in search_text.split():  # as token_grams(), inlined: every client row runs it
        if len(token) < 2:
            grams[token] = None
        else:
            grams.update(dict.fromkeys(map(operator.add, token, token[1:])))
    return " ".join(grams)


class TechnicalArea(models.Model):
    """An IAF scope sector (EA/IAF code 1-39; IT services are mainly 33). Auditors are
    qualified per standard and technical area (shared/domain.md, Auditors)."""

    code = models.PositiveSmallIntegerField(_("IAF code"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("technical area")
        verbose_name_plural = _("technical areas")
        ordering = ["code"]

    def __str__(self):
        name = (
            self.name_zh if (get_language() or "").startswith("zh") and self.name_zh else self.name
        )
        return f"IAF {self.code:02d} {name}"


class Client(models.Model):
    """An organisation (legal entity) that applies for certification.

    Chinese entities are identified by their unified social credit code (GB 32100-2015),
    validated with its check character; entities of other countries by a free registration id.
    """

    # Indexed through Meta (legal_name, city) and a unique constraint (registration_id), not
    # db_index/unique=True: on PostgreSQL those add a second "_like" index per column for
    # LIKE 'prefix%', which nothing here runs, and every insert paid for (clients 0009).
    legal_name = models.CharField(_("legal name"), max_length=255)
    english_name = models.CharField(_("English name"), max_length=255, blank=True)
    registration_id = models.CharField(
        _("registration id"),
        max_length=64,
        help_text=_("For Chinese entities the 18-character unified social credit code."),
    )
    trading_name = models.CharField(
        _("trading name"),
        max_length=255,
        blank=True,
        help_text=_("The name it trades under, where it differs from the legal name."),
        default="",
        db_default="",
    )
    country = CountryField(_("country"), default="CN")
    province = models.CharField(
        _("province or state"), max_length=100, blank=True, default="", db_default=""
    )
    city = models.CharField(_("city"), max_length=100)
    address = models.CharField(_("address"), max_length=500)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True, default="", db_default="")
    effective_personnel = models.PositiveIntegerField(_("effective personnel"))
    technical_areas = models.ManyToManyField(
        TechnicalArea,
        blank=True,
        related_name="clients",
        verbose_name=_("technical areas"),
        help_text=_("IAF codes of the activities in scope; audit teams must cover them."),
    )
    restricted_listing = models.BooleanField(
        _("restricted listing"),
        default=False,
        help_text=_("The client asked, in an exceptional case, not to be listed by name."),
    )
    certsearch_consent = models.BooleanField(
        _("consents to IAF CertSearch listing"),
        default=False,
        help_text=_("Written consent to upload its certificates to the IAF CertSearch database."),
    )
    notes = models.TextField(_("internal notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Derived from the names (kept with the row, like Certificate.number_key) so the public
    # name search uses an index: search_text is normalise_search(legal + English name),
    # search_grams its bigrams (see search_grams()). A queryset .update() of the names must
    # recompute them; bulk_create callers call set_search_fields() (seed_demo does).
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)
    search_grams = models.TextField(_("search grams"), blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["legal_name"]
        indexes = [
            models.Index(fields=["legal_name"], name="client_legal_name"),
            # The client list of a city by name (city = X ORDER BY legal_name, id: an ordered
            # walk of 51 entries instead of sorting every client of 北京); it serves every
            # lookup by city too (the search box, the distinct cities: infra/distinct.py).
            models.Index(fields=["city", "legal_name", "id"], name="client_city_name"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["registration_id"], name="client_registration_id"),
        ]

    def __str__(self):
        return self.legal_name

    def save(self, *args, **kwargs):
        self.set_search_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"legal_name", "english_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text", "search_grams"}
        super().save(*args, **kwargs)

    def set_search_fields(self):
        """Recompute search_text and search_grams from the names; returns the client."""
        self.search_text = normalise_search(f"{self.legal_name} {self.english_name}")
        self.search_grams = search_grams(self.search_text)
        return self

    def clean(self):
        super().clean()
        self.country = str(self.country or "").upper()  # a Country object: its code
        if self.country == "CN":
            self.registration_id = normalise_uscc(self.registration_id)
            try:
                validate_uscc(self.registration_id)
            except ValidationError as err:
                raise ValidationError({"registration_id": err.messages}) from None

    @property
    def registration_is_valid(self) -> bool:
        """Whether the registration id is well formed (for China both USCC check characters:
        the organisation code's, GB 11714, and the 18th, GB 32100)."""
        return not self.registration_problems()

    def registration_problems(self) -> list[str]:
        """What is wrong with the registration id, in the words of the client form (which
        check failed); empty when it is well formed."""
        if self.country != "CN":
            return [] if self.registration_id.strip() else [str(MSG_REGISTRATION_MISSING)]
        try:
            validate_uscc(self.registration_id)
        except ValidationError as err:
            return [str(m) for m in err.messages]
        return []


class Penalty(models.Model):
    """An administrative penalty imposed on the client by a regulator (shared/domain.md,
    Intake 4). Recorded by staff from what they found (e.g. the national enterprise credit
    information system); the client's no-penalty declaration on the application is its own
    statement, not proof. A penalty during the operation of the management system or in the
    year before it bars acceptance."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="penalties", verbose_name=_("client")
    )
    decided_on = models.DateField(_("date of the penalty decision"))
    authority = models.CharField(
        _("authority"), max_length=255, help_text=_("The regulator that imposed it.")
    )
    reference = models.CharField(_("decision number"), max_length=100, blank=True)
    decision = models.TextField(_("decision"), help_text=_("What was found and the penalty."))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("administrative penalty")
        verbose_name_plural = _("administrative penalties")
        ordering = ["-decided_on", "-pk"]

    def __str__(self):
        return f"{self.decided_on} {self.authority}"


class Site(models.Model):
    """A place where the client runs its management system. Exactly one central function."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="sites", verbose_name=_("client")
    )
    name = models.CharField(_("name"), max_length=255)
    is_central = models.BooleanField(_("central function"), default=False)
    country = CountryField(
        _("country"),
        blank=True,
        default="",
        db_default="",
        help_text=_("Empty: the client's country."),
    )
    province = models.CharField(
        _("province or state"), max_length=100, blank=True, default="", db_default=""
    )
    city = models.CharField(_("city"), max_length=100)
    address = models.CharField(_("address"), max_length=500)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True, default="", db_default="")
    personnel = models.PositiveIntegerField(_("personnel"), default=0)
    # ISO/IEC 17021-1 8.2.2: a multi-site certificate gives the scope at each site.
    activities = models.TextField(
        _("activities at this site"),
        blank=True,
        help_text=_(
            "What this site does within the scope; printed as the site's scope on a "
            "multi-site certificate. Empty: the certificate's whole scope."
        ),
        default="",
        db_default="",
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["-is_central", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(is_central=True),
                name="one_central_function_per_client",
                violation_error_message=_("A client has only one central function."),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.city})"

    @property
    def country_code(self) -> str:
        """The site's ISO 3166 country code: its own, or else its client's."""
        return str(self.country or self.client.country)


class Contact(models.Model):
    """A person at the client. Never shown publicly (ISO/IEC 17021-1 8.1)."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("client")
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self):
        return self.name


class Standard(models.Model):
    """A management-system standard with its edition, e.g. ISO/IEC 20000-1:2018."""

    code = models.CharField(_("code"), max_length=50, help_text="ISO/IEC 20000-1")
    edition = models.CharField(_("edition"), max_length=10, help_text="2018")
    title = models.CharField(_("title"), max_length=255, blank=True)
    certificate_code = models.CharField(
        _("certificate code"),
        max_length=10,
        help_text=_("Short code used in certificate numbers, e.g. ITSM, QMS, ISMS."),
    )
    is_active = models.BooleanField(_("accepting applications"), default=True)
    # IAF CertSearch, "Standard & Scheme": the scheme as the body's accreditation names it.
    scheme_name = models.CharField(
        _("scheme name"),
        max_length=255,
        blank=True,
        help_text=_(
            "The certification scheme as your accreditation names it (IAF CertSearch "
            "“Scheme Name”). Empty: the standard's code and edition."
        ),
        default="",
        db_default="",
    )
    accredited = models.BooleanField(
        _("within the accreditation"),
        default=True,
        help_text=_(
            "The body's accreditation covers this standard: its certificates carry the "
            "accreditation mark and IAF CertSearch lists them as accredited."
        ),
        db_default=True,
    )
    requires_soa = models.BooleanField(
        _("scope names the Statement of Applicability"),
        default=False,
        help_text=_("ISO/IEC 27001: the certificate's scope gives the SoA version."),
        db_default=False,
    )

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["code", "-edition"]
        constraints = [models.UniqueConstraint(fields=["code", "edition"], name="unique_edition")]

    def __str__(self):
        return f"{self.code}:{self.edition}"


class RequiredDocument(models.Model):
    """One entry of a standard's application document checklist (data, editable by staff)."""

    standard = models.ForeignKey(
        Standard,
        on_delete=models.CASCADE,
        related_name="required_documents",
        verbose_name=_("standard"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=255)
    title_zh = models.CharField(_("title (Chinese)"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["standard", "position"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "title"], name="unique_required_document")
        ]

    def __str__(self):
        return self.localized_title

    @property
    def localized_title(self) -> str:
        """The title in the active language (Chinese when the interface speaks Chinese)."""
        if self.title_zh and (get_language() or "").startswith("zh"):
            return self.title_zh
        return self.title


class Application(models.Model):
    """An application for certification and its review (ISO/IEC 17021-1 9.1.1, 9.1.2).

    Intake conditions (shared/domain.md): legal registration (both check characters of a
    credit code), system operating at least MIN_OPERATING_MONTHS before application, one
    internal audit and one management review done within the operating period, no
    administrative penalty declared and none recorded (Penalty) during operation or in the year
    before it; plus the standard's document checklist. The CNCA rule on recent suspensions and
    withdrawals is checked on acceptance (certificates.rules.no_recent_suspension_or_withdrawal).
    """

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="applications", verbose_name=_("client")
    )
    standards = models.ManyToManyField(
        Standard, related_name="applications", verbose_name=_("standards")
    )
    received_on = models.DateField(_("received on"))
    scope = models.TextField(_("scope"))
    sites = models.ManyToManyField(Site, blank=True, verbose_name=_("sites in scope"))
    effective_personnel = models.PositiveIntegerField(_("effective personnel"))
    language = models.CharField(_("audit language"), max_length=20, default="zh-hans")
    system_operating_since = models.DateField(
        _("management system operating since"), null=True, blank=True
    )
    internal_audit_on = models.DateField(_("internal audit completed on"), null=True, blank=True)
    management_review_on = models.DateField(
        _("management review completed on"), null=True, blank=True
    )
    no_penalty_declared = models.BooleanField(
        _("declares no administrative penalty"),
        default=False,
        help_text=_("No administrative penalty during operation and in the year before."),
    )
    legal_registration_checked = models.BooleanField(
        _("legal registration checked"),
        default=False,
        help_text=_("Staff saw the business licence or foreign registration certificate."),
    )
    impartiality_threats = models.TextField(_("threats to impartiality"), blank=True)
    notes = models.TextField(_("internal notes"), blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-received_on", "-pk"]

    def __str__(self):
        return f"{self.client} / {self.received_on}"

    # -- Intake --------------------------------------------------------------------------------
    def intake_problems(self, *, standard: Standard) -> list[str]:
        """Every reason this application cannot be accepted for ``standard``, in plain words.

        Empty means every intake condition holds and every required document was received.
        """
        problems = []
        # The same words as the client form (e.g. which check character failed), for a code
        # saved without it (imported, or before a check was added).
        for problem in self.client.registration_problems():
            problems.append(
                str(
                    MSG_REGISTRATION_INVALID
                    % {"id": self.client.registration_id, "problem": problem}
                )
            )
        if not self.legal_registration_checked:
            problems.append(str(_("The legal registration (business licence) is not checked.")))
        months = policy("MIN_OPERATING_MONTHS")
        if self.system_operating_since is None:
            problems.append(str(_("The date the management system started is not recorded.")))
        elif add_months(self.system_operating_since, months) > self.received_on:
            problems.append(
                str(
                    _(
                        "The management system has operated less than %(months)d months "
                        "before the application (since %(since)s)."
                    )
                    % {"months": months, "since": self.system_operating_since.isoformat()}
                )
            )
        # Both within the period the system has been operating: on or after it started, not
        # after the application (shared/domain.md, Intake 3).
        since = self.system_operating_since
        if self.internal_audit_on is None or self.internal_audit_on > self.received_on:
            problems.append(str(_("No internal audit completed before the application.")))
        elif since is not None and self.internal_audit_on < since:
            problems.append(
                str(
                    MSG_INTERNAL_AUDIT_BEFORE_OPERATION
                    % {"day": self.internal_audit_on.isoformat(), "since": since.isoformat()}
                )
            )
        if self.management_review_on is None or self.management_review_on > self.received_on:
            problems.append(str(_("No management review completed before the application.")))
        elif since is not None and self.management_review_on < since:
            problems.append(
                str(
                    MSG_REVIEW_BEFORE_OPERATION
                    % {"day": self.management_review_on.isoformat(), "since": since.isoformat()}
                )
            )
        if not self.no_penalty_declared:
            problems.append(str(_("The declaration of no administrative penalty is missing.")))
        problems += self.penalty_problems()
        for title in self.missing_documents(standard=standard):
            problems.append(str(_("Missing document: %(title)s") % {"title": title}))
        return problems

    def penalty_window_start(self):
        """The first day on which a recorded penalty bars acceptance: a year before the system
        started operating (a year before the application when that date is not recorded)."""
        since = self.system_operating_since or self.received_on
        try:
            return add_months(since, -12)
        except (OverflowError, ValueError):
            # A date typed as year 1 (the forms refuse it now; an old row may hold it): no
            # earlier day exists, so every recorded penalty falls in the window.
            return datetime.date.min

    def penalty_problems(self) -> list[str]:
        """The client's recorded administrative penalties during the operation of the system or
        in the year before it (shared/domain.md, Intake 4): each bars acceptance, whatever the
        client declared. A penalty after the application counts too (still during operation).

        Reads ``client.penalties.all()`` (a client has few), so a list that prefetches
        ``client__penalties`` asks no query per row."""
        start = self.penalty_window_start()
        penalties = sorted(
            (p for p in self.client.penalties.all() if p.decided_on >= start),
            key=lambda p: (p.decided_on, p.pk),
        )
        return [
            str(
                MSG_PENALTY
                % {
                    "day": p.decided_on.isoformat(),
                    "authority": p.authority,
                    "start": start.isoformat(),
                }
            )
            for p in penalties
        ]

    def missing_documents(self, *, standard: Standard) -> list[str]:
        """Titles of the standard's required documents not yet received."""
        received = {d.required_document_id for d in self.documents.all() if d.received_on}
        return [
            d.localized_title for d in standard.required_documents.all() if d.pk not in received
        ]


class ApplicationDocument(models.Model):
    """A document the client handed in for one item of the checklist."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("application"),
    )
    required_document = models.ForeignKey(
        RequiredDocument, on_delete=models.PROTECT, verbose_name=_("required document")
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="applications/%Y/%m/", blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "required_document"], name="one_document_per_item"
            )
        ]

    def __str__(self):
        return str(self.required_document)


class ImportJob(models.Model):
    """One file uploaded for import in the admin: first checked (a dry run: the preview of
    what would be created, updated and left unchanged, and every row error), then, once staff
    confirm, imported. Large files run on the Celery worker with a progress bar
    (clients/imports/jobs.py)."""

    class Kind(models.TextChoices):
        CLIENTS = "clients", _("Clients")
        CERTIFICATES = "certificates", _("Existing certificates")

    class Phase(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    # ImportReport.as_dict() of the phase's last run.
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.file_name}"
