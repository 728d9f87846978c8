"""Ship the audit-time tables: the IAF MD 5 QMS table for ISO 9001:2015 (as given in
shared/domain.md), and labelled stand-ins for ISO/IEC 20000-1 (ISO/IEC 20000-6 Table 1) and
ISO/IEC 27001 (ISO/IEC 27006-1), whose own tables are not public here. Staff edit and import
the tables in the admin; these are starting data, not code."""

from decimal import Decimal

from django.db import migrations

# IAF MD 5, QMS: initial audit (stage 1 + stage 2) auditor-days by effective personnel.
MD5_QMS = [
    (1, 5, "1.5"), (6, 10, "2"), (11, 15, "2.5"), (16, 25, "3"), (26, 45, "4"), (46, 65, "5"),
    (66, 85, "6"), (86, 125, "7"), (126, 175, "8"), (176, 275, "9"), (276, 425, "10"),
    (426, 625, "11"), (626, 875, "12"), (876, 1175, "13"), (1176, 1550, "14"),
    (1551, 2025, "15"), (2026, 2675, "16"), (2676, 3450, "17"), (3451, 4350, "18"),
    (4351, 5450, "19"), (5451, 6800, "20"), (6801, 8500, "21"), (8501, 10700, "22"),
]

TABLES = [
    ("ISO 9001", "2015", "IAF MD 5 (QMS table)", False, ""),
    (
        "ISO/IEC 20000-1",
        "2018",
        "STAND-IN: IAF MD 5 QMS values, not ISO/IEC 20000-6 Table 1",
        True,
        "ISO/IEC 20000-6:2017 Table 1 is not available here. These rows repeat the IAF MD 5 QMS "
        "table so that calculations can be made; replace them with Table 1 before contracts.",
    ),
    (
        "ISO/IEC 27001",
        "2022",
        "STAND-IN: IAF MD 5 QMS values, not ISO/IEC 27006-1 Annex C",
        True,
        "ISO/IEC 27006-1 Annex C is not available here. These rows repeat the IAF MD 5 QMS "
        "table; replace them with the ISMS table before contracts.",
    ),
]


def forwards(apps, schema_editor):
    Standard = apps.get_model("clients", "Standard")
    Table = apps.get_model("audits", "AuditTimeTable")
    Row = apps.get_model("audits", "AuditTimeRow")
    for code, edition, source, stand_in, note in TABLES:
        standard = Standard.objects.filter(code=code, edition=edition).first()
        if standard is None:
            continue
        table, created = Table.objects.get_or_create(
            standard=standard,
            defaults={"source": source, "is_stand_in": stand_in, "note": note},
        )
        if created:
            Row.objects.bulk_create(
                Row(table=table, min_personnel=lo, max_personnel=hi, days=Decimal(days))
                for lo, hi, days in MD5_QMS
            )


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0002_programme_audit_time_auditors"),
        ("clients", "0002_standards"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
