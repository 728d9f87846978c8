"""Audit time (IAF MD 5, MD 11, MD 1; ISO/IEC 20000-6 9.1.4): the arithmetic, the service that
keeps it with the application, and the command that prints it."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from audits import services as audit_svc
from audits.audit_time import (
    RESULT_KEYS,
    AuditTimeInputError,
    Band,
    Table,
    base_days,
    calculate,
    round_half_days,
    split,
    table_problems,
)
from audits.models import AuditTimeCalculation, AuditTimeRow, AuditTimeTable
from audits.services import AuditError
from clients.models import Standard
from tests import lifecycle as lc
from tests.factories import ApplicationFactory, ClientFactory, standard

D = datetime.date
Dec = Decimal

MD5 = [
    (1, 5, "1.5"), (6, 10, "2"), (11, 15, "2.5"), (16, 25, "3"), (26, 45, "4"), (46, 65, "5"),
    (66, 85, "6"), (86, 125, "7"), (126, 175, "8"), (176, 275, "9"), (276, 425, "10"),
    (426, 625, "11"), (626, 875, "12"), (876, 1175, "13"), (1176, 1550, "14"),
    (1551, 2025, "15"), (2026, 2675, "16"), (2676, 3450, "17"), (3451, 4350, "18"),
    (4351, 5450, "19"), (5451, 6800, "20"), (6801, 8500, "21"), (8501, 10700, "22"),
]  # fmt: skip
QMS = Table(
    standard="ISO 9001:2015",
    source="IAF MD 5",
    rows=tuple(Band(lo, hi, Dec(d)) for lo, hi, d in MD5),
    key="9001",
)
STAND_IN = Table(
    standard="ISO/IEC 20000-1:2018",
    source="stand-in",
    rows=QMS.rows,
    is_stand_in=True,
    key="20000",
)


def days(table, personnel):
    return base_days(table, personnel).days


def messages(err):
    return err.value.messages


# -- the table ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("personnel", "expected"),
    [(1, "1.5"), (5, "1.5"), (6, "2"), (10, "2"), (11, "2.5"), (700, "12"), (10700, "22")],
)
def test_md5_band_edges(personnel, expected):
    assert days(QMS, personnel) == Dec(expected)


def test_beyond_the_table_follows_the_progression():
    # First band beyond: 2200 people wide (10701-12900), then each 25% wider, +1 day each.
    assert base_days(QMS, 10701) == base_days(QMS, 12900)
    assert (days(QMS, 10701), days(QMS, 12900)) == (Dec(23), Dec(23))
    assert (days(QMS, 12901), days(QMS, 15650)) == (Dec(24), Dec(24))  # 2750 wide
    assert days(QMS, 15651) == Dec(25)
    result = calculate(tables=[QMS], personnel=11000)
    assert result.total.initial == Dec(23)
    assert "above the table's last band (8501-10700: 22 auditor-days)" in result.lines()[1]
    assert "band 1 beyond the table, 10701-12900, 23 auditor-days" in result.lines()[1]


def test_constant_width_progression_jumps_straight_to_the_band():
    table = Table("X:1", "t", (Band(1, 100, Dec(1)),), beyond_band_width=10,
                  beyond_band_growth_percent=Dec(0), beyond_band_days=Dec("0.5"))  # fmt: skip
    assert base_days(table, 135).days == Dec("3")  # 101-110, 111-120, 121-130, 131-140
    assert (base_days(table, 135).low, base_days(table, 135).high) == (131, 140)
    assert base_days(table, 10**7).days == Dec(1) + Dec("0.5") * 999990


@pytest.mark.parametrize("personnel", [0, -3, "abc", "2.5", None])
def test_personnel_must_be_a_whole_number_of_at_least_one(personnel):
    with pytest.raises(AuditTimeInputError) as err:
        calculate(tables=[QMS], personnel=personnel)
    assert messages(err) == [
        f"Effective personnel must be a whole number of at least 1 (got {personnel})."
    ]


def test_bands_overlapping_are_errors_and_gaps_warnings():
    errors, warnings = table_problems(
        [Band(1, 5, Dec(1)), Band(5, 9, Dec(2)), Band(20, 30, Dec(3))], standard="X:1"
    )
    assert errors == ["The audit-time table of X:1 has overlapping bands (1-5 and 5-9). "
                      "Correct the table."]  # fmt: skip
    assert warnings == ["X:1: no band for 10-19 people (between 5-9 and 20-30)."]
    gappy = Table("X:1", "t", (Band(1, 5, Dec(1)), Band(10, 20, Dec(2))))
    with pytest.raises(AuditTimeInputError) as err:
        calculate(tables=[gappy], personnel=7)
    assert messages(err) == [
        "The audit-time table of X:1 has no band for 7 people: its bands leave a gap there. "
        "Correct the table."
    ]


# -- factors and the 30% cap -------------------------------------------------------------------
def test_increases_and_reductions_add_up():
    result = calculate(
        tables=[QMS], personnel=700, factors=[("+10", "complex"), ("-5", "low risk")]
    )
    # 12 days * (1 + 10% - 5%) = 12.6 -> 12.5
    assert result.total.initial == Dec("12.5")
    lines = result.lines()
    assert "Factor 1: +10% of the table time (+1.2 days). Why: complex" in lines
    assert "Factor 2: -5% of the table time (-0.6 days). Why: low risk" in lines


def test_total_reduction_capped_at_30_percent_of_the_table_time():
    result = calculate(
        tables=[QMS],
        personnel=700,
        factors=[("-20", "mature system"), ("-15", "low risk"), ("+10", "complex")],
    )
    # reductions 35% -> 30%; +10%: 12 * 0.8 = 9.6 -> 9.5
    assert result.total.initial == Dec("9.5")
    assert (
        "The reductions (35%) exceed the maximum of 30% of the table time (IAF MD 5): 30% is "
        "applied." in result.lines()
    )
    capped = calculate(tables=[QMS], personnel=700, factors=[("-50", "tiny scope")])
    assert capped.total.initial == Dec("8.5")  # 12 * 0.7 = 8.4 -> 8.5


def test_the_cap_is_policy(settings):
    settings.CERTBODY = {**settings.CERTBODY, "AUDIT_TIME_MAX_REDUCTION_PERCENT": 10}
    result = calculate(tables=[QMS], personnel=700, factors=[("-30", "x")])
    assert result.total.initial == Dec("11")  # 12 * 0.9 = 10.8 -> 11


def test_a_factor_needs_a_justification_and_a_percentage():
    with pytest.raises(AuditTimeInputError) as err:
        calculate(tables=[QMS], personnel=10, factors=[("+10", "why"), ("-5", "  ")])
    assert messages(err) == ["Factor 2 (-5%) has no justification: record why the time is reduced."]
    with pytest.raises(AuditTimeInputError) as err:
        calculate(tables=[QMS], personnel=10, factors=[{"percent": "ten", "justification": "x"}])
    assert messages(err) == ["Factor 1: “ten” is not a percentage."]


# -- rounding ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "rounded"),
    [("1.2", "1"), ("1.25", "1.5"), ("1.3", "1.5"), ("1.7", "1.5"), ("1.75", "2"), ("2", "2")],
)
def test_round_to_the_nearest_half_day_halves_up(raw, rounded):
    assert round_half_days(Dec(raw)) == Dec(rounded)


def test_rounding_in_a_calculation_lands_on_quarters():
    # 5 days (46-65) + 5% = 5.25 -> 5.5 ; 5 days - 5% = 4.75 -> 5
    up = calculate(tables=[QMS], personnel=50, factors=[("+5", "x")])
    down = calculate(tables=[QMS], personnel=50, factors=[("-5", "x")])
    assert (up.total.initial, down.total.initial) == (Dec("5.5"), Dec("5"))
    assert (
        "Rounded to the nearest half day (halves up): 5.25 -> 5.5 auditor-days for the initial "
        "audit (stage 1 + stage 2)." in up.lines()
    )


# -- split, on site, surveillance, recertification ---------------------------------------------
def test_stage_split_and_on_site_minimum():
    f = split(Dec("12.5"))
    # stage 1 = 30% of 12.5 = 3.75 -> 4; stage 2 = 8.5; on site >= 80% = 10
    assert (f.stage1, f.stage2, f.onsite_min) == (Dec(4), Dec("8.5"), Dec(10))
    assert f.stage1_onsite_min == Dec("1.5")  # 10 - 8.5, stage 2 being all on site
    f = split(Dec(12))
    # 80% of 12 = 9.6: a minimum is rounded up, never below 80%
    assert (f.stage1, f.stage2, f.onsite_min, f.stage1_onsite_min) == (
        Dec("3.5"),
        Dec("8.5"),
        Dec(10),
        Dec("1.5"),
    )


def test_surveillance_one_third_and_recertification_two_thirds():
    f = split(Dec(12))
    assert (f.surveillance, f.surveillance_onsite_min) == (Dec(4), Dec("3.5"))
    assert (f.recertification, f.recertification_onsite_min) == (Dec(8), Dec("6.5"))
    f = split(Dec("1.5"))  # 0.5 and 1
    assert (f.surveillance, f.recertification) == (Dec("0.5"), Dec(1))
    assert [(y["year"], y["what"], y["days"]) for y in f.per_year()] == [
        (1, "surveillance", Dec("0.5")),
        (2, "surveillance", Dec("0.5")),
        (3, "recertification", Dec(1)),
    ]


# -- integrated audits (MD 11) and multi-site (MD 1) -------------------------------------------
def test_integrated_audit_sums_then_reduces_and_caps_at_20_percent():
    result = calculate(
        tables=[QMS, STAND_IN],
        personnel=700,
        integration_reduction={"percent": "25", "justification": "one management system"},
    )
    # 12 + 12 = 24; 25% asked, 20% applied: 19.2 -> 19; shares 9.5 + 9.5
    assert result.total.initial == Dec(19)
    lines = result.lines()
    assert (
        "The integration reduction asked for (25%) exceeds the maximum of 20% (IAF MD 11): 20% "
        "is applied." in lines
    )
    assert (
        "Integration reduction 20% (-4.8 days): 19.2 auditor-days. Why: one management system"
        in lines
    )
    assert [s.figures.initial for s in result.standards] == [Dec("9.5"), Dec("9.5")]
    assert sum(s.figures.initial for s in result.standards) == result.total.initial


def test_integration_needs_several_standards_and_a_justification():
    with pytest.raises(AuditTimeInputError) as err:
        calculate(tables=[QMS], personnel=10, integration_reduction=("10", "x"))
    assert messages(err) == [
        "An integration reduction applies only to an integrated audit of several standards."
    ]
    with pytest.raises(AuditTimeInputError) as err:
        calculate(tables=[QMS, STAND_IN], personnel=10, integration_reduction=("10", ""))
    assert messages(err) == [
        "The integration reduction (10%) has no justification: record the level of integration "
        "of the management systems (IAF MD 11)."
    ]


def test_multi_site_time_per_site_with_the_site_reduction_capped_at_50_percent():
    result = calculate(
        tables=[QMS],
        personnel=100,
        factors=[("+10", "complex")],
        sites=[
            {"name": "HQ", "personnel": 60},
            {
                "name": "Shanghai",
                "personnel": 30,
                "reduction_percent": 70,
                "justification": "same processes",
            },
        ],
        other_sites=9,
    )
    # HQ: 5 * 1.1 = 5.5; Shanghai: 4 * 1.1 = 4.4, -50% (70% asked) = 2.2; 7.7 -> 7.5
    assert result.total.initial == Dec("7.5")
    lines = result.lines()
    assert (
        "Site “Shanghai”: the reduction asked for (70%) exceeds the maximum of 50% per site "
        "(IAF MD 1): 50% is applied." in lines
    )
    assert "Site “Shanghai”: reduced by 50% to 2.2 days. Why: same processes" in lines
    assert result.sample_sizes == {"initial": 3, "surveillance": 2, "recertification": 3}
    with pytest.raises(AuditTimeInputError) as err:
        calculate(tables=[QMS], personnel=10, sites=[("B", 5, 10, "")])
    assert messages(err) == ["Site “B”: the reduction of 10% has no justification."]


def test_stand_in_is_flagged_in_the_trace():
    result = calculate(tables=[STAND_IN], personnel=10)
    assert result.uses_stand_in
    assert result.lines()[1].startswith("STAND-IN TABLE: the table used for ISO/IEC 20000-1:2018")
    assert not calculate(tables=[QMS], personnel=10).uses_stand_in


# -- the service ---------------------------------------------------------------------------------
@pytest.fixture
def application(people):
    return lc.apply(people, audit_time=False).application


@pytest.mark.django_db
def test_service_stores_inputs_trace_and_results(people, application):
    std = application.standards.get()
    calc = audit_svc.audit_time_calculate(
        application=application,
        by=people.staff,
        on=D(2024, 9, 2),
        personnel=700,
        factors=[{"percent": "-5", "justification": "low risk"}],
    )
    calc = AuditTimeCalculation.objects.get(pk=calc.pk)
    assert calc.uses_stand_in  # ISO/IEC 20000-1 ships with a stand-in table
    assert (calc.calculated_on, calc.calculated_by) == (D(2024, 9, 2), people.staff)
    assert calc.results == {
        str(std.pk): {
            "initial": "11.5",  # 12 * 0.95 = 11.4
            "stage1": "3.5",
            "stage2": "8",
            "onsite_min": "9.5",
            "surveillance": "4",
            "surveillance_onsite_min": "3.5",
            "recertification": "7.5",
            "recertification_onsite_min": "6",
        }
    }
    assert set(calc.results[str(std.pk)]) == set(RESULT_KEYS)
    assert calc.for_standard(std)["initial"] == Dec("11.5")
    assert calc.for_standard(Standard.objects.get(code="ISO 9001")) is None
    assert calc.initial_days == Dec("11.5") and calc.surveillance_days == Dec(4)
    assert calc.inputs["factors"] == [{"percent": "-5", "justification": "low risk"}]
    assert calc.inputs["personnel"] == "700"
    assert calc.trace[0]["step"] == "personnel"
    assert any("STAND-IN" in line for line in calc.trace_lines())
    assert AuditTimeCalculation.objects.current_for(application) == calc


@pytest.mark.django_db
def test_latest_calculation_is_current(people, application):
    first = audit_svc.audit_time_calculate(
        application=application, by=people.staff, on=D(2024, 9, 3)
    )
    second = audit_svc.audit_time_calculate(
        application=application, by=people.staff, on=D(2024, 9, 2), personnel=5
    )
    assert AuditTimeCalculation.objects.current_for(application) == first  # later date wins
    third = audit_svc.audit_time_calculate(
        application=application, by=people.staff, on=D(2024, 9, 3), personnel=5
    )
    assert AuditTimeCalculation.objects.current_for(application) == third
    assert second.initial_days == Dec("1.5")


@pytest.mark.django_db
def test_service_integrated_application(people):
    client = ClientFactory(effective_personnel=700)
    app = ApplicationFactory(client=client, effective_personnel=700)
    qms, itsm = Standard.objects.get(code="ISO 9001"), standard()
    app.standards.set([qms, itsm])
    calc = audit_svc.audit_time_calculate(
        application=app,
        by=people.staff,
        on=D(2024, 9, 2),
        integration_reduction=("10", "integrated documentation and management review"),
    )
    # 12 + 12 = 24, -10% = 21.6 -> 21.5; shares 10.5 + 11 (largest remainder, in half days)
    assert calc.initial_days == Dec("21.5")
    shares = sorted(Dec(calc.results[str(s.pk)]["initial"]) for s in (qms, itsm))
    assert sum(shares) == Dec("21.5") and shares == [Dec("10.5"), Dec(11)]
    assert calc.inputs["integration_reduction"]["percent"] == "10"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"personnel": 0}, "Effective personnel must be a whole number of at least 1 (got 0)."),
        (
            {"factors": [("+5", "")]},
            "Factor 1 (+5%) has no justification: record why the time is increased.",
        ),
        (
            {"integration_reduction": ("5", "x")},
            "An integration reduction applies only to an integrated audit of several standards.",
        ),
        ({"sites": [{"name": "", "personnel": 3}]}, "Site 1 has no name."),
    ],
)
def test_service_refuses_bad_input_with_the_field_named(people, application, kwargs, message):
    with pytest.raises(AuditError) as err:
        audit_svc.audit_time_calculate(
            application=application, by=people.staff, on=D(2024, 9, 2), **kwargs
        )
    assert err.value.messages == [message]
    assert not AuditTimeCalculation.objects.exists()


@pytest.mark.django_db
def test_service_needs_a_table_and_permission(people, application):
    with pytest.raises(AuditError) as err:
        audit_svc.audit_time_calculate(application=application, by=people.auditor, on=D(2024, 9, 2))
    assert err.value.messages == ["You do not have permission to calculate audit time."]
    AuditTimeTable.objects.filter(standard__code="ISO/IEC 20000-1").delete()
    with pytest.raises(AuditError) as err:
        audit_svc.audit_time_calculate(application=application, by=people.staff, on=D(2024, 9, 2))
    assert err.value.messages == [
        "There is no audit-time table for ISO/IEC 20000-1:2018: add one (Audit-time tables) "
        "before calculating."
    ]


# -- the command ---------------------------------------------------------------------------------
def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("audit_time", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_prints_the_calculation():
    out = run(
        "--standard", "ISO 9001:2015", "--personnel", "700",
        "--factor", "+10:complex processes", "--factor", "-5:low risk", "--sites", "9",
    )  # fmt: skip
    assert "700 people fall in the band 626-875" in out
    assert "Factor 1: +10% of the table time (+1.2 days). Why: complex processes" in out
    assert "Initial audit                  12.5" in out
    assert "Year 3 of the cycle: recertification, 8.5 (on site at least 7)" in out
    assert (
        "9 sites besides the central function: initial 3, surveillance 2, recertification 3, "
        "plus the central function every time." in out
    )
    assert "STAND-IN" not in out


@pytest.mark.django_db
def test_command_says_a_stand_in_table_was_used():
    out = run("--standard", "ISO/IEC 20000-1", "--personnel", "10")
    assert "STAND-IN TABLE USED" in out
    assert "[STAND-IN TABLE: replace it]" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--standard", "ISO 14001", "--personnel", "5"],
            "No audit-time table for the standard “ISO 14001”. Known: “ISO 9001:2015”, "
            "“ISO/IEC 20000-1:2018”, “ISO/IEC 27001:2022”.",
        ),
        (
            ["--standard", "ISO 9001", "--personnel", "5", "--factor", "-5"],
            "--factor “-5” has no reason: write it as “+10:reason”.",
        ),
        (
            ["--standard", "ISO 9001", "--personnel", "0"],
            "Effective personnel must be a whole number of at least 1 (got 0).",
        ),
    ],
)
def test_command_refuses_bad_arguments_clearly(args, message):
    with pytest.raises(CommandError) as err:
        call_command("audit_time", *args)
    assert str(err.value) == message


# -- acceptance ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_acceptance_needs_an_audit_time_calculation(people):
    from certificates import services as svc
    from certificates.models import State
    from certificates.services import CertificationError

    cert = lc.apply(people, audit_time=False)
    cert = svc.certification_start_review(certification=cert, by=people.staff, on=D(2024, 9, 5))
    with pytest.raises(CertificationError) as err:
        svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert err.value.messages == [
        "No audit-time calculation is recorded with this application for ISO/IEC 20000-1:2018: "
        "calculate it before accepting."
    ]
    audit_svc.audit_time_calculate(application=cert.application, by=people.staff, on=D(2024, 9, 6))
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED


@pytest.mark.django_db
def test_rows_resource_replaces_a_table_from_a_spreadsheet():
    import tablib

    from audits.resources import AuditTimeRowResource

    itsm = AuditTimeTable.objects.get(standard__code="ISO/IEC 20000-1")
    data = tablib.Dataset(headers=["standard", "min_personnel", "max_personnel", "days"])
    for row in [(1, 10, "2"), (11, 50, "3.5"), (51, 200, "6")]:
        data.append(["ISO/IEC 20000-1:2018", *row])
    result = AuditTimeRowResource().import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert list(itsm.rows.values_list("min_personnel", "max_personnel", "days")) == [
        (1, 10, Dec(2)), (11, 50, Dec("3.5")), (51, 200, Dec(6)),
    ]  # fmt: skip
    assert AuditTimeRow.objects.filter(table__standard__code="ISO 9001").count() == 23

    overlapping = tablib.Dataset(headers=["standard", "min_personnel", "max_personnel", "days"])
    overlapping.append(["ISO/IEC 20000-1:2018", 1, 10, "2"])
    overlapping.append(["ISO/IEC 20000-1:2018", 8, 50, "3"])
    result = AuditTimeRowResource().import_data(overlapping, dry_run=False)
    assert result.has_errors()
    assert "overlapping bands (1-10 and 8-50)" in str(result.base_errors[0].error)
    assert itsm.rows.count() == 3  # nothing imported

    unknown = tablib.Dataset(headers=["standard", "min_personnel", "max_personnel", "days"])
    unknown.append(["ISO 14001:2015", 1, 10, "2"])
    result = AuditTimeRowResource().import_data(unknown, dry_run=True)
    assert result.has_validation_errors() or result.has_errors()

    export = AuditTimeRowResource().export(AuditTimeRow.objects.filter(table=itsm))
    assert export.headers == ["standard", "min_personnel", "max_personnel", "days"]
    assert export[0][:3] == ("ISO/IEC 20000-1:2018", "1", "10")
    assert Dec(export[0][3]) == Dec(2)


@pytest.mark.django_db
def test_rows_import_from_xlsx():
    """Staff replace a stand-in from an Excel sheet (tablib's xlsx, openpyxl)."""
    import tablib

    from audits.resources import AuditTimeRowResource

    sheet = tablib.Dataset(headers=["standard", "min_personnel", "max_personnel", "days"])
    sheet.append(["ISO/IEC 27001:2022", 1, 20, "3"])
    sheet.append(["ISO/IEC 27001:2022", 21, 100, "5.5"])
    data = tablib.Dataset().load(sheet.export("xlsx"), format="xlsx")
    result = AuditTimeRowResource().import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    table = AuditTimeTable.objects.get(standard__code="ISO/IEC 27001")
    assert list(table.rows.values_list("min_personnel", "max_personnel", "days")) == [
        (1, 20, Dec(3)),
        (21, 100, Dec("5.5")),
    ]
