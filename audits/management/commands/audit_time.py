"""Print an audit-time calculation for a quick check, without recording anything:

    python manage.py audit_time --standard "ISO 9001:2015" --personnel 700 \\
        --factor "+10:complex processes" --factor "-5:low risk" --sites 9

The same arithmetic as the application's "Calculate audit time" page (audits.audit_time),
from the tables in the database. Several --standard options make an integrated audit
(--integration "15:one management system"); --site "name:personnel[:reduction:why]" lists the
sites visited in a multi-site sample; --sites N prints the IAF MD 1 sample sizes for N sites
besides the central function.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from audits.audit_time import AuditTimeInputError, Table, calculate, fmt, render_trace
from audits.models import AuditTimeTable


def _split(value: str, option: str, example: str) -> tuple[str, str]:
    percent, sep, reason = value.partition(":")
    if not sep or not reason.strip():
        raise CommandError(
            _("%(option)s “%(value)s” has no reason: write it as “%(example)s”.")
            % {"option": option, "value": value, "example": example}
        )
    return percent.strip(), reason.strip()


class Command(BaseCommand):
    help = "Print the audit-time calculation (IAF MD 5, MD 11, MD 1) for a standard."

    def add_arguments(self, parser):
        parser.add_argument(
            "--standard",
            action="append",
            required=True,
            help='e.g. "ISO 9001:2015" (the code alone when one edition has a table); repeat '
            "for an integrated audit",
        )
        parser.add_argument("--personnel", required=True, help="effective personnel")
        parser.add_argument(
            "--factor",
            action="append",
            default=[],
            help='"+10:reason" or "-5:reason"; repeat for several factors',
        )
        parser.add_argument(
            "--integration", help='integration reduction, "15:reason" (several standards)'
        )
        parser.add_argument(
            "--site",
            action="append",
            default=[],
            help='a sampled site, "name:personnel" or "name:personnel:reduction:reason"',
        )
        parser.add_argument(
            "--sites",
            type=int,
            help="number of sites besides the central function (IAF MD 1 sample sizes)",
        )
        parser.add_argument("--language", help="en or zh-hans (default: LANGUAGE_CODE)")

    def handle(self, *args, **options):
        language = options.get("language") or settings.LANGUAGE_CODE
        if language not in {code for code, _name in settings.LANGUAGES}:
            raise CommandError(
                f"Unknown language “{language}”: one of "
                + ", ".join(code for code, _name in settings.LANGUAGES)
            )
        with translation.override(language):
            self._run(options)

    def _table(self, name: str) -> Table:
        tables = list(AuditTimeTable.objects.select_related("standard").prefetch_related("rows"))
        wanted = name.strip().lower()
        matches = [t for t in tables if str(t.standard).lower() == wanted]
        if not matches:
            matches = [t for t in tables if t.standard.code.lower() == wanted]
        if len(matches) != 1:
            known = ", ".join(f"“{t.standard}”" for t in tables) or "-"
            raise CommandError(
                (
                    _("No audit-time table for the standard “%(name)s”. Known: %(known)s.")
                    if not matches
                    else _("“%(name)s” has tables for several editions; name one: %(known)s.")
                )
                % {"name": name, "known": known}
            )
        table = matches[0]
        return Table.from_model(table, rows=list(table.rows.all()))

    def _sites(self, values):
        sites = []
        for value in values:
            parts = [p.strip() for p in value.split(":")]
            if len(parts) == 2:
                sites.append({"name": parts[0], "personnel": parts[1]})
            elif len(parts) >= 4:
                sites.append(
                    {
                        "name": parts[0],
                        "personnel": parts[1],
                        "reduction_percent": parts[2],
                        "justification": ":".join(parts[3:]),
                    }
                )
            else:
                raise CommandError(
                    _(
                        "--site “%(value)s”: write it as “name:personnel” or "
                        "“name:personnel:reduction:reason”."
                    )
                    % {"value": value}
                )
        return sites

    def _run(self, options):
        tables = [self._table(name) for name in options["standard"]]
        factors = [_split(f, "--factor", "+10:reason") for f in options["factor"]]
        integration = (
            _split(options["integration"], "--integration", "15:reason")
            if options.get("integration")
            else None
        )
        if options.get("sites") is not None and options["sites"] < 0:
            raise CommandError(_("--sites must be 0 or more."))
        try:
            result = calculate(
                tables=tables,
                personnel=options["personnel"],
                factors=factors,
                integration_reduction=integration,
                sites=self._sites(options["site"]),
                other_sites=options.get("sites"),
            )
        except AuditTimeInputError as err:
            raise CommandError(" ".join(err.messages)) from None

        out = self.stdout
        if result.uses_stand_in:
            banner = _(
                "STAND-IN TABLE USED: this calculation uses a table that is not the standard's "
                "own. The table must be replaced with the standard's own table and the "
                "calculation repeated before it is relied on."
            )
            out.write(self.style.WARNING("!" * 78))
            out.write(self.style.WARNING(banner))
            out.write(self.style.WARNING("!" * 78))
        out.write(_("Audit-time calculation") + ": " + ", ".join(t.standard for t in tables))
        out.write("")
        for n, line in enumerate(render_trace(result.trace), start=1):
            out.write(f"{n:>3}. {line}")
        out.write("")
        labels = [
            ("initial", _("Initial audit")),
            ("stage1", _("Stage 1")),
            ("stage2", _("Stage 2")),
            ("onsite_min", _("On site at least")),
            ("surveillance", _("Each surveillance")),
            ("surveillance_onsite_min", _("  on site at least")),
            ("recertification", _("Recertification")),
            ("recertification_onsite_min", _("  on site at least")),
        ]
        for part in result.standards:
            title = part.standard
            if part.is_stand_in:
                title += " " + _("[STAND-IN TABLE: replace it]")
            out.write(self.style.MIGRATE_HEADING(title))
            for key, label in labels:
                out.write(f"  {label:<28} {fmt(getattr(part.figures, key)):>6}")
        if len(result.standards) > 1:
            out.write(self.style.MIGRATE_HEADING(_("Integrated audit, total")))
            for key, label in labels:
                out.write(f"  {label:<28} {fmt(getattr(result.total, key)):>6}")
        out.write("")
        out.write(self.style.MIGRATE_HEADING(_("The certification cycle")))
        out.write(f"  {_('Initial audit (stage 1 + stage 2)')}: {fmt(result.total.initial)}")
        what = {"surveillance": _("surveillance"), "recertification": _("recertification")}
        for item in result.total.per_year():
            out.write(
                "  "
                + _("Year %(year)s of the cycle: %(what)s, %(days)s (on site at least %(onsite)s)")
                % {
                    "year": item["year"],
                    "what": what[item["what"]],
                    "days": fmt(item["days"]),
                    "onsite": fmt(item["onsite"]),
                }
            )
        if result.sample_sizes is not None:
            out.write("")
            out.write(self.style.MIGRATE_HEADING(_("Multi-site sample (IAF MD 1)")))
            out.write(
                "  "
                + _(
                    "%(n)s sites besides the central function: initial %(initial)s, "
                    "surveillance %(surveillance)s, recertification %(recertification)s, plus "
                    "the central function every time."
                )
                % {"n": options["sites"], **result.sample_sizes}
            )
