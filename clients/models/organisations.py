"""Organisations that apply for certification: the client, its sites and contacts, its recorded
administrative penalties, and the derived search fields of its names."""

import operator
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from ..validators import normalise_uscc, validate_uscc
from .catalogue import TechnicalArea

MSG_REGISTRATION_MISSING = _("The registration id is empty.")
MSG_REGISTRATION_INVALID = _("The client's registration id %(id)s is not valid: %(problem)s")


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
