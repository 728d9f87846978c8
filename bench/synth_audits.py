#!/usr/bin/env python3
"""Give a bulk-seeded benchmark database the audits a real body of its size would have.

    .venv/bin/python bench/synth_audits.py --database-url postgres://postgres@127.0.0.1:5432/certbody_bench
        [--auditors 2000]

``seed_demo``'s bulk path (``--walk 0``) writes clients, applications, certifications,
certificates and decisions, but no audits: a database of 1,350,000 certifications then holds
only the audits of the few walked clients, and every workspace page that reads audits (home's
worklists, the audit list, the planning board, a client's page) is measured against an empty
table. This script adds, in a few INSERT ... SELECT statements (a few minutes for 1.35 M
certifications; PostgreSQL only), the audits each certification's state implies:

- granted certifications (active, suspended, withdrawn, expired): stage 1 and stage 2 (first
  cycle) or the recertification audit (later cycles) before the cycle start, closed and covered
  by the certification's latest decision; one closed surveillance per surveillance done;
- active ones: the programme's next surveillance, planned and due on the next surveillance
  date; a third with dates not confirmed yet, a quarter without a team;
- stage 1 / stage 2 / decision pending: the stage audits planned, or closed and awaiting the
  decision.

The teams are drawn from ``--auditors`` extra users (``bench_auditor_NNNN``, in no group, so
they appear on no page as auditors and the demo's own auditors keep their realistic load);
each staffed audit has one more auditor as a member (the services keep the team leader out of
the members). No findings, bookings or history rows. Only
certifications without any audit get them (the walked ones keep their own), so the script may
run again after more clients were seeded.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from needs import need_postgres

ROOT = Path(__file__).resolve().parent.parent

FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超"]

COMMON = (
    "'' AS justification, '' AS late_reason, '[]'::jsonb AS audit_time_trace, "
    "'{}'::jsonb AS sample_trace, 3.0 AS audit_days, 2.5 AS onsite_days"
)
COLUMNS = (
    "certification_id, kind, cycle, state, planned_start, planned_end, actual_start, "
    "actual_end, recommendation, closed_on, state_since, dates_confirmed, due_by, "
    "planning_from, programme_year, team_leader_id, decision_id, justification, late_reason, "
    "audit_time_trace, sample_trace, audit_days, onsite_days"
)
# A team leader from the bench auditors, by certification id; NULL-able per statement.
LEADER = "(SELECT ids[1 + (c.id %% array_length(ids, 1))] FROM leaders)"
LATEST_DECISION = "ld.id"  # bench_latest: the certification's latest decision


# The certifications to give audits: those without any (bench_targets, made first).
FROM_TARGETS = (
    " FROM certificates_certification c JOIN bench_targets USING (id)"
    " LEFT JOIN bench_latest ld ON ld.certification_id = c.id"
)


def closed(kind: str, start: str, recommendation: str, decision: str) -> str:
    return (
        f"SELECT c.id, '{kind}', c.cycle, 'closed', {start}, {start} + 1, {start}, {start} + 1, "
        f"'{recommendation}', {start} + 10, {start} + 10, true, NULL::date, NULL::date, "
        f"NULL::smallint, {LEADER}, {decision}, {COMMON}"
    )


STATEMENTS = {
    "stage 1, first cycle": closed("stage1", "c.cycle_start - 75", "ready", LATEST_DECISION)
    + FROM_TARGETS
    + " WHERE c.cycle_start IS NOT NULL AND c.cycle = 1",
    "stage 2, first cycle": closed("stage2", "c.cycle_start - 40", "recommend", LATEST_DECISION)
    + FROM_TARGETS
    + " WHERE c.cycle_start IS NOT NULL AND c.cycle = 1",
    "recertification, later cycles": closed(
        "recertification", "c.cycle_start - 40", "recommend", LATEST_DECISION
    )
    + FROM_TARGETS
    + " WHERE c.cycle_start IS NOT NULL AND c.cycle > 1",
    "surveillances done": closed(
        "surveillance",
        "(c.cycle_start + make_interval(months => 12 * k))::date - 45",
        "continue",
        LATEST_DECISION,
    )
    + FROM_TARGETS
    + ", "
    "generate_series(1, c.surveillances_done) k "
    "WHERE c.cycle_start IS NOT NULL",
    "next surveillance, planned": (
        "SELECT c.id, 'surveillance', c.cycle, 'planned', c.next_surveillance_due - 30, "
        "c.next_surveillance_due - 29, NULL::date, NULL::date, '', NULL::date, "
        "c.next_surveillance_due - 120, c.id %% 3 <> 0, c.next_surveillance_due, "
        "c.next_surveillance_due - 120, c.surveillances_done + 1, "
        f"CASE WHEN c.id %% 4 = 0 THEN NULL ELSE {LEADER} END, NULL::bigint, {COMMON} "
        f"{FROM_TARGETS} "
        "WHERE c.state = 'active' AND c.next_surveillance_due IS NOT NULL"
    ),
    "stage 1 planned": (
        "SELECT c.id, 'stage1', c.cycle, 'planned', c.state_since + 20, c.state_since + 21, "
        "NULL::date, NULL::date, '', NULL::date, c.state_since, true, NULL::date, NULL::date, "
        f"NULL::smallint, {LEADER}, NULL::bigint, {COMMON} "
        f"{FROM_TARGETS} WHERE c.state = 'stage1'"
    ),
    "stage 1 closed before stage 2": closed("stage1", "c.state_since - 40", "ready", "NULL::bigint")
    + FROM_TARGETS
    + " WHERE c.state IN ('stage2', 'decision_pending')",
    "stage 2 planned": (
        "SELECT c.id, 'stage2', c.cycle, 'planned', c.state_since + 20, c.state_since + 22, "
        "NULL::date, NULL::date, '', NULL::date, c.state_since, true, NULL::date, NULL::date, "
        f"NULL::smallint, {LEADER}, NULL::bigint, {COMMON} "
        f"{FROM_TARGETS} WHERE c.state = 'stage2'"
    ),
    "stage 2 closed, awaiting the decision": closed(
        "stage2", "c.state_since - 12", "recommend", "NULL::bigint"
    )
    + FROM_TARGETS
    + " WHERE c.state = 'decision_pending'",
}


TARGETS = (
    "CREATE TEMP TABLE bench_targets ON COMMIT DROP AS "
    "SELECT c.id FROM certificates_certification c WHERE NOT EXISTS "
    "(SELECT 1 FROM audits_audit a WHERE a.certification_id = c.id)",
    "ALTER TABLE bench_targets ADD PRIMARY KEY (id)",
    "ANALYZE bench_targets",
    # Once, by one aggregate: a max(id) subquery per row was planned as a backward walk of the
    # decisions' primary key, filtering every decision (minutes per statement).
    "CREATE TEMP TABLE bench_latest ON COMMIT DROP AS SELECT certification_id, max(id) AS id "
    "FROM certificates_decision GROUP BY certification_id",
    "ALTER TABLE bench_latest ADD PRIMARY KEY (certification_id)",
    "ANALYZE bench_latest",
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--auditors", type=int, default=2000)
    opts = parser.parse_args(argv)
    if not opts.database_url or not opts.database_url.startswith("postgres"):
        parser.error("--database-url (or DATABASE_URL) must be a PostgreSQL URL")
    need_postgres(opts.database_url)
    os.environ["DATABASE_URL"] = opts.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certbody.settings.local")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    User = get_user_model()
    started = time.monotonic()
    with transaction.atomic():
        ids = list(
            User.objects.filter(username__startswith="bench_auditor_").values_list("pk", flat=True)
        )
        if not ids:
            made = User.objects.bulk_create(
                User(
                    username=f"bench_auditor_{i:04d}",
                    first_name=GIVEN[i % len(GIVEN)],
                    last_name=FAMILY[i % len(FAMILY)],
                    password="!",  # unusable: nobody signs in as them
                )
                for i in range(opts.auditors)
            )
            ids = [u.pk for u in made]
        with connection.cursor() as cur:
            for statement in TARGETS:
                cur.execute(statement)
            cur.execute("SELECT count(*) FROM bench_targets")
            print(f"{cur.fetchone()[0]:,} certifications without audits", flush=True)
            cur.execute("SELECT coalesce(max(id), 0) FROM audits_audit")
            before = cur.fetchone()[0]
            for label, select in STATEMENTS.items():
                t0 = time.monotonic()
                cur.execute(
                    f"WITH leaders AS (SELECT %s::int[] AS ids) "
                    f"INSERT INTO audits_audit ({COLUMNS}) {select}",
                    [ids],
                )
                print(f"  {label}: {cur.rowcount:,} audits ({time.monotonic() - t0:.1f} s)")
            t0 = time.monotonic()
            cur.execute(
                "WITH leaders AS (SELECT %s::int[] AS ids) "
                "INSERT INTO audits_audit_members (audit_id, user_id) "
                "SELECT a.id, ids[1 + ((a.certification_id + 1) %% array_length(ids, 1))] "
                "FROM audits_audit a, leaders WHERE a.id > %s AND a.team_leader_id IS NOT NULL",
                [ids, before],
            )
            print(f"  team members: {cur.rowcount:,} ({time.monotonic() - t0:.1f} s)")
    with connection.cursor() as cur:
        for table in ("audits_audit", "audits_audit_members", "auth_user"):
            cur.execute(f"ANALYZE {table}")
        cur.execute("SELECT count(*) FROM audits_audit")
        total = cur.fetchone()[0]
    print(f"{total:,} audits in the database; {time.monotonic() - started:.0f} s in all")


if __name__ == "__main__":
    main()
