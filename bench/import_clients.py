#!/usr/bin/env python3
"""Benchmark: the bulk import of client lists (issue 6, "Performance").

    .venv/bin/python bench/import_clients.py
        [--database-url postgres://postgres@127.0.0.1:5432/certbody_importbench]
        [--rows 100000] [--baseline-rows 10000] [--keep-file] [--keep-db]
        [--with-applications] [--profile 20000]

Measured in ONE run, on PostgreSQL, on the SAME generated client file:

1. drops and recreates the database named in --database-url (it must be a scratch database:
   everything in it is lost) and migrates it;
2. writes a client list of --rows rows to a temporary CSV file, streamed: UTF-8 with BOM, the
   Chinese headers of clients/imports/columns.py (企业名称, 统一社会信用代码, 城市, 地址, 员工人数,
   联系人, 联系电话, 电子邮箱), valid unified social credit codes (distinct, with the check
   character), realistic names, addresses and contacts; and a second file with the same clients
   where every row has a new address and a new number of employees (the update import);
3. then runs each phase in its own fresh Python process (so peak memory is the phase's own),
   each on emptied client tables (TRUNCATE ... RESTART IDENTITY CASCADE), except the update,
   which imports over what "our import" wrote:

   baseline       the default django-import-export path: a plain ModelResource for Client
                  (legal_name, registration_id, city, address, effective_personnel; key
                  registration_id) fed a tablib Dataset of the first --baseline-rows rows,
                  ``import_data(dataset, dry_run=False, raise_errors=False)``. It writes the
                  Client rows only: no central site, no contact, no credit-code check; the
                  others write three rows per line, so the comparison favours the baseline;
   our import     ``clients.imports.client_import.import_clients(path)``: every row read,
                  normalised and validated, then client + central site + primary contact;
   update         ``import_clients(path of the second file)`` over the data of "our import":
                  every row changes (client and central site updated);
   bulk_create    the same rows parsed with the csv module into Client (search fields computed,
                  as every bulk_create caller must), central Site and primary Contact objects,
                  no validation, ``bulk_create`` in batches of 2,000 (clients first, for their
                  ids), in one transaction;
   bulk_create, no search fields   the same without Client.set_search_fields() (information:
                  it writes empty search columns, so not the same rows);
   COPY           PostgreSQL COPY of the same rows (search fields computed too) into
                  clients_client, clients_site, clients_contact with psycopg's cursor.copy(),
                  in one transaction: the ceiling. The client ids are taken from the table's
                  own sequence beforehand (one ``SELECT nextval(...) FROM generate_series``
                  per 10,000 rows), so each table is one plain COPY per chunk and the sites and
                  contacts carry their client's id directly. The alternative, COPY into a staging
                  table and INSERT ... SELECT joined on registration_id, writes every client
                  twice and adds a join: it would be a lower ceiling, not the ceiling;
   (--with-applications) our import of a file that also carries 认证标准, 认证范围, 体系运行日期:
                  each row then also creates an application and a certification (information);

   The bulk_create and COPY phases run their transaction with the settings our import gives
   its own (``tune_import_transaction``: work_mem = CERTBODY IMPORT_WORK_MEM), so the ratios
   compare the code, not the settings; the baseline keeps the server's defaults, as the
   default django-import-export path does;

4. prints rows/s, ms per row, CPU seconds and peak RSS of each phase, the ratios and PASS or
   FAIL against the issue's targets: our import >= 50% of the bulk_create rate and >= 20x the
   baseline's per-row rate; the update >= 5,000 rows/s; peak memory of our import < 500 MB.

Every phase checks what it wrote (row counts, the report of import_clients, a sample of the
updated rows); the script exits non-zero if a check fails. Timings exclude starting Python and
Django and, for the baseline, building its tablib Dataset. DEBUG is off in the phases.
--profile N also runs our import of the first N rows under cProfile and prints where the time
goes. Other work on the machine lowers every figure: the script reports the load average and
the other active PostgreSQL sessions before each phase.
"""

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from needs import need_postgres

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
if not PY.exists():
    PY = Path(sys.executable)

# Issue 6 targets.
MIN_SHARE_OF_BULK_CREATE = 0.50
MIN_TIMES_BASELINE = 20
MIN_UPDATE_ROWS_PER_S = 5000
MAX_PEAK_RSS_MB = 500

BATCH = 2000  # bulk_create batch size (as the import's CHUNK)
COPY_CHUNK = 10000

HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "城市",
    "地址",
    "员工人数",
    "联系人",
    "联系电话",
    "电子邮箱",
]
APP_HEADERS = ["认证标准", "认证范围", "体系运行日期"]
# Tables a phase empties (CASCADE also empties whatever refers to them).
TABLES = (
    "clients_client",
    "clients_site",
    "clients_contact",
    "clients_application",
    "clients_application_standards",
    "clients_application_sites",
    "certificates_certification",
)


# ---------------------------------------------------------------------------------------------
# The client file
# ---------------------------------------------------------------------------------------------
# (city, region code of the credit code, districts, phone area code)
CITIES = [
    ("北京", "110108", ["海淀区", "朝阳区", "东城区", "丰台区", "昌平区"], "010"),
    ("上海", "310115", ["浦东新区", "徐汇区", "静安区", "闵行区", "杨浦区"], "021"),
    ("深圳", "440305", ["南山区", "福田区", "宝安区", "龙岗区", "罗湖区"], "0755"),
    ("广州", "440106", ["天河区", "海珠区", "越秀区", "番禺区", "白云区"], "020"),
    ("杭州", "330106", ["西湖区", "滨江区", "余杭区", "拱墅区", "上城区"], "0571"),
    ("成都", "510107", ["武侯区", "高新区", "锦江区", "青羊区", "成华区"], "028"),
    ("南京", "320106", ["鼓楼区", "玄武区", "建邺区", "江宁区", "秦淮区"], "025"),
    ("武汉", "420111", ["洪山区", "江汉区", "武昌区", "汉阳区", "东湖新区"], "027"),
    ("西安", "610113", ["雁塔区", "碑林区", "未央区", "长安区", "莲湖区"], "029"),
    ("苏州", "320505", ["工业园区", "虎丘区", "吴中区", "姑苏区", "相城区"], "0512"),
    ("天津", "120116", ["滨海新区", "和平区", "南开区", "河西区", "西青区"], "022"),
    ("重庆", "500112", ["渝北区", "江北区", "九龙坡区", "南岸区", "沙坪坝区"], "023"),
]
BRAND = "华中天信达通联创新恒瑞博安泰和德源科盛嘉宏远星云智汇鼎祥润丰海金辰启明致"
INDUSTRY = [
    "信息技术",
    "软件",
    "网络科技",
    "数据服务",
    "云计算",
    "电子科技",
    "系统集成",
    "通信技术",
    "数字科技",
    "智能科技",
]
ROADS = ["中关村大街", "科技园路", "人民路", "建设路", "解放大道", "创业大道", "高新一路", "文化路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文斌"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def org_check(code8: str) -> str:
    """The organisation code's check character of GB 11714 (as clients.validators)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c, 36) * w for c, w in zip(code8, weights, strict=True)) % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check(body: str) -> str:
    """The check character of GB 32100-2015 (as stdnum.cn.uscc.calc_check_digit)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def generate(path: Path, rows: int, *, variant: int = 0, applications: bool = False) -> None:
    """Write the client file, row by row. The same ``rows`` give the same clients (names, codes,
    cities, contacts) whatever ``variant``; each variant moves every client to another address
    with another number of employees."""
    ident = random.Random(6)  # identities: the same draws in every variant
    moved = random.Random(600 + variant)  # what an update changes
    since_formats = ("{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}{m:02d}{d:02d}", "{y}年{m}月{d}日")
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADERS + (APP_HEADERS if applications else []))
        for i in range(1, rows + 1):
            city, region, districts, area = ident.choice(CITIES)
            district = ident.choice(districts)
            brand = ident.choice(BRAND) + ident.choice(BRAND)
            kind = ident.choice(INDUSTRY)
            branch = ident.random() < 0.15
            # The organisation code (positions 9-17): 8 characters distinct for every row (7919
            # and 10**8 are coprime), so every credit code is distinct, and its GB 11714 check.
            org = f"{(i * 7919 + 12345) % 10**8:08d}"
            body = f"91{region}{org}{org_check(org)}"
            name = f"{city}{brand}{kind}有限公司" + (f"{district}分公司" if branch else "")
            contact = ident.choice(SURNAMES) + ident.choice(GIVEN) + ident.choice(("", *GIVEN))
            if ident.random() < 0.6:
                phone = f"1{ident.choice('3456789')}{ident.randrange(10**9):09d}"
            else:
                phone = f"{area}-{ident.randrange(10**7, 10**8)}"
            email = f"contact{i}@{ident.choice(('qq.com', '163.com', f'it{i % 997}.cn'))}"
            people = int(10 ** ident.uniform(0.7, 3.6))
            number = ident.randrange(1, 999)
            road = ident.choice(ROADS)
            # The update: another road and number, and more (or fewer) employees.
            if variant:
                road = moved.choice(ROADS)
                number += 1000 * variant + moved.randrange(1, 999)
                # never the same as before: people >= 5, so max(1, ...) cannot give it back
                people = max(1, people + moved.choice((-1, 1)) * moved.randrange(1, 50))
            address = f"{city}市{district}{road}{number}号"
            line = [name, body + uscc_check(body), city, address, people, contact, phone, email]
            if applications:
                y, m = ident.randrange(2015, 2025), ident.randrange(1, 13)
                d = ident.randrange(1, 29)
                fmt = ident.choice(since_formats)
                line += ["ISO/IEC 20000-1:2018", f"{kind}服务的提供", fmt.format(y=y, m=m, d=d)]
            out.writerow(line)


def read_rows(path: Path, limit: int | None = None):
    """The data rows of a generated file, as lists of strings (the csv module, no checks)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for n, values in enumerate(reader):
            if limit is not None and n >= limit:
                return
            yield values


# ---------------------------------------------------------------------------------------------
# Phases (each in its own process: ``--phase NAME --file PATH``)
# ---------------------------------------------------------------------------------------------
def setup_django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def truncate():
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


def counts() -> dict:
    from django.db import connection

    result = {}
    with connection.cursor() as cur:
        for table in ("clients_client", "clients_site", "clients_contact", "clients_application"):
            cur.execute(f"SELECT count(*) FROM {table}")
            result[table.split("_", 1)[1]] = cur.fetchone()[0]
    return result


def analyze():
    from django.db import connection

    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f"ANALYZE {table}")


def phase_baseline(opts) -> dict:
    import tablib
    from import_export import resources

    from clients.models import Client

    class ClientResource(resources.ModelResource):
        class Meta:
            model = Client
            fields = ("legal_name", "registration_id", "city", "address", "effective_personnel")
            import_id_fields = ["registration_id"]

    truncate()
    dataset = tablib.Dataset(headers=list(ClientResource.Meta.fields))
    for v in read_rows(opts.file, opts.baseline_rows):
        dataset.append([v[0], v[1], v[2], v[3], v[4]])
    rows = len(dataset)
    t0 = time.perf_counter()
    result = ClientResource().import_data(dataset, dry_run=False, raise_errors=False)
    seconds = time.perf_counter() - t0
    problems = []
    if result.has_errors() or result.has_validation_errors():
        problems.append(f"import-export reported errors: {result.totals}")
    c = counts()
    if c["client"] != rows:
        problems.append(f"{c['client']:,} clients written, expected {rows:,}")
    return {"rows": rows, "seconds": seconds, "counts": c, "problems": problems}


def phase_our_import(opts, *, update=False) -> dict:
    from clients.imports.client_import import import_clients

    if not update:
        truncate()
    before = counts()
    t0 = time.perf_counter()
    report = import_clients(str(opts.file))
    seconds = time.perf_counter() - t0
    c = counts()
    problems = []
    if not report.ok or not report.committed:
        shown = "; ".join(str(e) for e in report.errors[:5]) or "; ".join(report.file_error)
        problems.append(f"import not committed: {report.error_count} row errors: {shown}")
    if report.unknown_columns:
        problems.append(f"unknown columns reported: {report.unknown_columns}")
    rows = report.total
    if rows != opts.rows:
        problems.append(f"{rows:,} rows read, expected {opts.rows:,}")
    if update:
        if report.updated != rows or report.created or report.unchanged:
            problems.append(
                f"update: {report.updated:,} updated, {report.created:,} created, "
                f"{report.unchanged:,} unchanged; expected every row updated"
            )
        if c != before:
            problems.append(f"update changed the row counts: {before} -> {c}")
        problems += check_updated(opts.file, rows)
    else:
        if report.created != rows:
            problems.append(f"{report.created:,} created, expected {rows:,}")
        want_apps = rows if opts.applications else 0
        expected = {"client": rows, "site": rows, "contact": rows, "application": want_apps}
        if c != expected:
            problems.append(f"row counts {c}, expected {expected}")
        if opts.applications and report.applications_created != rows:
            problems.append(f"{report.applications_created:,} applications created")
    return {
        "rows": rows,
        "seconds": seconds,
        "counts": c,
        "problems": problems,
        "report": report.summary(),
    }


def check_updated(path: Path, rows: int, sample: int = 200) -> list[str]:
    """Compare the first and last ``sample`` rows of the update file with the database."""
    from clients.models import Client, Site

    wanted = {}
    for n, v in enumerate(read_rows(path)):
        if n < sample or n >= rows - sample:
            wanted[v[1]] = (v[3], int(v[4]))
    clients = Client.objects.filter(registration_id__in=wanted)
    central = dict(
        Site.objects.filter(client__in=clients, is_central=True).values_list("client_id", "address")
    )
    found = {
        c.registration_id: (c.address, c.effective_personnel, central.get(c.pk)) for c in clients
    }
    bad = [
        key
        for key, (address, people) in wanted.items()
        if found.get(key) != (address, people, address)
    ]
    return [f"{len(bad)} sampled clients not updated, e.g. {bad[:3]}"] if bad else []


def client_objects(rows, *, search: bool):
    from clients.models import Client

    clients = []
    for v in rows:
        client = Client(
            legal_name=v[0],
            registration_id=v[1],
            country="CN",
            city=v[2],
            address=v[3],
            effective_personnel=int(v[4]),
        )
        if search:
            client.set_search_fields()
        clients.append(client)
    return clients


def phase_bulk_create(opts, *, search=True) -> dict:
    from django.db import transaction

    from clients.models import Client, Contact, Site
    from infra.tabular.pgbulk import tune_import_transaction

    truncate()
    rows = 0
    t0 = time.perf_counter()
    with transaction.atomic():
        tune_import_transaction()  # the same transaction settings as our import
        chunk = []
        for values in read_rows(opts.file):
            chunk.append(values)
            if len(chunk) < BATCH:
                continue
            rows += _bulk_chunk(chunk, search, Client, Site, Contact)
            chunk = []
        if chunk:
            rows += _bulk_chunk(chunk, search, Client, Site, Contact)
    seconds = time.perf_counter() - t0
    c = counts()
    expected = {"client": rows, "site": rows, "contact": rows, "application": 0}
    problems = [] if c == expected else [f"row counts {c}, expected {expected}"]
    return {"rows": rows, "seconds": seconds, "counts": c, "problems": problems}


def _bulk_chunk(chunk, search, Client, Site, Contact) -> int:
    clients = Client.objects.bulk_create(client_objects(chunk, search=search), batch_size=BATCH)
    Site.objects.bulk_create(
        [
            Site(
                client=c,
                name=v[0],
                is_central=True,
                city=v[2],
                address=v[3],
                personnel=int(v[4]),
            )
            for c, v in zip(clients, chunk, strict=True)
        ],
        batch_size=BATCH,
    )
    Contact.objects.bulk_create(
        [
            Contact(client=c, name=v[5], phone=v[6], email=v[7], is_primary=True)
            for c, v in zip(clients, chunk, strict=True)
        ],
        batch_size=BATCH,
    )
    return len(chunk)


def phase_copy(opts) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from clients.models import normalise_search, search_grams
    from infra.tabular.pgbulk import tune_import_transaction

    truncate()
    now = timezone.now()
    rows = 0
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        tune_import_transaction()  # the same transaction settings as our import
        cur.execute("SELECT pg_get_serial_sequence('clients_client', 'id')")
        sequence = cur.fetchone()[0]

        def flush(chunk):
            cur.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(chunk)])
            ids = [r[0] for r in cur.fetchall()]
            with cur.copy(
                "COPY clients_client (id, legal_name, english_name, registration_id, country, "
                "city, address, effective_personnel, restricted_listing, certsearch_consent, "
                "notes, created_at, search_text, search_grams) FROM STDIN"
            ) as copy:
                for pk, v in zip(ids, chunk, strict=True):
                    text = normalise_search(f"{v[0]} ")
                    grams = search_grams(text)
                    row = (pk, v[0], "", v[1], "CN", v[2], v[3], int(v[4]), False, False, "")
                    copy.write_row((*row, now, text, grams))
            with cur.copy(
                "COPY clients_site (client_id, name, is_central, city, address, personnel) "
                "FROM STDIN"
            ) as copy:
                for pk, v in zip(ids, chunk, strict=True):
                    copy.write_row((pk, v[0], True, v[2], v[3], int(v[4])))
            with cur.copy(
                "COPY clients_contact (client_id, name, role, phone, email, is_primary) FROM STDIN"
            ) as copy:
                for pk, v in zip(ids, chunk, strict=True):
                    copy.write_row((pk, v[5], "", v[6], v[7], True))
            return len(chunk)

        chunk = []
        for values in read_rows(opts.file):
            chunk.append(values)
            if len(chunk) >= COPY_CHUNK:
                rows += flush(chunk)
                chunk = []
        if chunk:
            rows += flush(chunk)
    seconds = time.perf_counter() - t0
    c = counts()
    expected = {"client": rows, "site": rows, "contact": rows, "application": 0}
    problems = [] if c == expected else [f"row counts {c}, expected {expected}"]
    # The same rows as the ORM paths write (search fields included)?
    from clients.models import Client

    sample = Client.objects.order_by("pk").first()
    if sample is not None:
        stored = (sample.search_text, sample.search_grams)
        if stored != (sample.set_search_fields().search_text, sample.search_grams):
            problems.append("COPY wrote other search fields than Client.set_search_fields()")
    return {"rows": rows, "seconds": seconds, "counts": c, "problems": problems}


def phase_profile(opts) -> dict:
    import cProfile
    import pstats

    from clients.imports.client_import import import_clients

    truncate()
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    report = import_clients(str(opts.file))
    profiler.disable()
    seconds = time.perf_counter() - t0
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)
    problems = [] if report.ok else [f"{report.error_count} row errors"]
    return {"rows": report.total, "seconds": seconds, "counts": counts(), "problems": problems}


PHASES = {
    "baseline": phase_baseline,
    "our-import": phase_our_import,
    "update": lambda opts: phase_our_import(opts, update=True),
    "bulk-create": phase_bulk_create,
    "bulk-create-nosearch": lambda opts: phase_bulk_create(opts, search=False),
    "copy": phase_copy,
    "profile": phase_profile,
}


def run_phase_here(opts) -> int:
    """In the child process: run one phase and print its result as one JSON line."""
    setup_django()
    from django.db import connection

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    result = PHASES[opts.phase](opts)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    if opts.phase in ("our-import", "bulk-create", "bulk-create-nosearch", "copy"):
        analyze()  # the update then plans with real statistics (outside the timing)
    connection.close()
    # Peak resident memory of this process (kB on Linux): Python, Django and the phase.
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/certbody_importbench",
        help="a scratch PostgreSQL database: dropped and recreated",
    )
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--baseline-rows", type=int, default=10000)
    parser.add_argument("--keep-file", action="store_true", help="keep the generated CSV files")
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database afterwards"
    )
    parser.add_argument(
        "--with-applications",
        dest="applications",
        action="store_true",
        help="also import a file with 认证标准/认证范围/体系运行日期 (information)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile our import of N rows"
    )
    # Internal: one phase in a child process.
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if not opts.database_url.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL URL (the benchmark uses COPY)")
    need_postgres(opts.database_url)
    return opts


def child_env(opts) -> dict:
    return dict(
        os.environ,
        DATABASE_URL=opts.database_url,
        DJANGO_SETTINGS_MODULE="certbody.settings.local",
        DJANGO_DEBUG="false",
        PYTHONPATH=str(ROOT),
    )


def recreate_database(opts):
    url = urlsplit(opts.database_url)
    name = url.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1", "certbody", "certbody_bench"):
        sys.exit(f"refusing to drop the database {name!r}: give a scratch database name")
    args = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432)]
    args += ["-U", url.username or "postgres"]
    env = dict(os.environ, PGPASSWORD=url.password) if url.password else None
    subprocess.run(["dropdb", "--if-exists", *args, name], check=True, env=env)
    subprocess.run(["createdb", *args, name], check=True, env=env)
    return args, name, env


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def other_activity(opts) -> str:
    """What else is running: benchmarks, test runs and active PostgreSQL sessions."""
    mine = os.getpid()
    others = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == mine:
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if ("bench/" in cmd or "pytest" in cmd) and "import_clients.py" not in cmd:
            others.append(cmd.strip()[:80])
    try:
        db = urlsplit(opts.database_url).path.lstrip("/")
        url = urlsplit(opts.database_url)
        out = subprocess.run(
            [
                "psql",
                "-h",
                url.hostname or "127.0.0.1",
                "-U",
                url.username or "postgres",
                "-d",
                "postgres",
                "-Atc",
                "SELECT datname FROM pg_stat_activity WHERE state = 'active' "
                f"AND pid <> pg_backend_pid() AND datname IS DISTINCT FROM '{db}'",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        out = []
    parts = [f"load {load_average()}"]
    if others:
        parts.append(f"other benchmarks/tests running: {'; '.join(others)}")
    if out:
        parts.append(f"active PostgreSQL sessions elsewhere: {', '.join(out)}")
    return ", ".join(parts)


def run_phase(opts, phase: str, path: Path, rows: int, extra=()) -> dict:
    activity = other_activity(opts)
    print(f"-> {phase} ({rows:,} rows)   [{activity}]", flush=True)
    args = [str(PY), str(Path(__file__).resolve()), "--phase", phase, "--file", str(path)]
    args += ["--rows", str(opts.rows if phase == "baseline" else rows)]
    args += ["--baseline-rows", str(opts.baseline_rows), *extra]
    args += ["--database-url", opts.database_url]
    proc = subprocess.run(args, env=child_env(opts), cwd=ROOT, capture_output=True, text=True)
    if phase == "profile":
        print(proc.stderr)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        print(proc.stdout[-3000:], proc.stderr[-6000:], sep="\n")
        return {"phase": phase, "failed": True, "problems": [f"exit {proc.returncode}"]}
    result = json.loads(lines[-1][7:])
    result.update(phase=phase, activity=activity)
    rate = result["rows"] / result["seconds"] if result["seconds"] else 0
    result["rate"] = rate
    print(
        f"   {result['rows']:,} rows in {result['seconds']:.2f} s = {rate:,.0f} rows/s; "
        f"CPU {result['cpu']:.1f} s; peak RSS {result['peak_rss_mb']:.0f} MB; "
        f"{result.get('report', '')}",
        flush=True,
    )
    for problem in result["problems"]:
        print(f"   CHECK FAILED: {problem}", flush=True)
    return result


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def postgres_version(opts) -> str:
    url = urlsplit(opts.database_url)
    out = subprocess.run(
        [
            *("psql", "-h", url.hostname or "127.0.0.1", "-U", url.username or "postgres"),
            *("-d", url.path.lstrip("/"), "-Atc", "SHOW server_version"),
        ],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "?"


def report(opts, results: dict, facts: dict) -> bool:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {os.cpu_count()} cores "
        f"({cpu_model()}), {mem_gib:.0f} GiB RAM; PostgreSQL {facts['postgres']}; "
        f"file {facts['size_mb']:.1f} MB, {opts.rows:,} rows (UTF-8 with BOM, Chinese headers)"
    )
    print()
    labels = {
        "baseline": "django-import-export (baseline)*",
        "our-import": "our import (import_clients)",
        "update": "our import, update (every row)",
        "our-import-apps": "our import, + application",
        "bulk-create": "bulk_create",
        "bulk-create-nosearch": "bulk_create, no search fields",
        "copy": "COPY (ceiling)",
    }
    head = (
        f"{'phase':<34} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'ms/row':>7} {'CPU s':>6} "
        f"{'peak RSS':>9}"
    )
    print(head)
    print("-" * len(head))
    for phase, label in labels.items():
        r = results.get(phase)
        if not r or r.get("failed"):
            continue
        print(
            f"{label:<34} {r['rows']:>8,} {r['seconds']:>8.2f} {r['rate']:>8,.0f} "
            f"{1000 / r['rate']:>7.3f} {r['cpu']:>6.1f} {r['peak_rss_mb']:>6.0f} MB"
        )
    print(
        "* the baseline writes the Client row only (no site, no contact, no credit-code check)\n"
        "  and runs on the first rows; the others write client + central site + primary contact\n"
        "  per row: the comparison favours the baseline. CPU s: the phase process's own CPU\n"
        "  time (PostgreSQL's is not included)."
    )
    print()
    ours, bulk = results.get("our-import"), results.get("bulk-create")
    base, update = results.get("baseline"), results.get("update")
    checks = []

    def ok(r):
        return r and not r.get("failed")

    if ok(ours) and ok(bulk):
        share = ours["rate"] / bulk["rate"]
        checks.append(
            (
                f"our import >= {MIN_SHARE_OF_BULK_CREATE:.0%} of bulk_create",
                share >= MIN_SHARE_OF_BULK_CREATE,
                f"{share:.0%} ({ours['rate']:,.0f} / {bulk['rate']:,.0f} rows/s)",
            )
        )
        raw = results.get("bulk-create-nosearch")
        if ok(raw):
            print(
                f"  (information) our import / bulk_create without search fields: "
                f"{ours['rate'] / raw['rate']:.0%}"
            )
    if ok(ours) and ok(base):
        times = ours["rate"] / base["rate"]
        checks.append(
            (
                f"our import >= {MIN_TIMES_BASELINE}x the baseline per row",
                times >= MIN_TIMES_BASELINE,
                f"{times:.1f}x ({1000 / ours['rate']:.3f} vs {1000 / base['rate']:.3f} ms/row)",
            )
        )
    if ok(update):
        checks.append(
            (
                f"update >= {MIN_UPDATE_ROWS_PER_S:,} rows/s",
                update["rate"] >= MIN_UPDATE_ROWS_PER_S,
                f"{update['rate']:,.0f} rows/s",
            )
        )
    peaks = [r["peak_rss_mb"] for r in (ours, update) if ok(r)]
    if peaks:
        checks.append(
            (
                f"peak RSS of our import < {MAX_PEAK_RSS_MB} MB",
                max(peaks) < MAX_PEAK_RSS_MB,
                " / ".join(f"{p:.0f} MB" for p in peaks) + " (new / update)",
            )
        )
    copy = results.get("copy")
    if ok(ours) and ok(copy):
        print(f"  (information) our import / COPY: {ours['rate'] / copy['rate']:.0%}")
    if ok(bulk) and ok(copy):
        print(f"  (information) bulk_create / COPY: {bulk['rate'] / copy['rate']:.0%}")
    for label, passed, value in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label:<44} {value}")
    failed = [r["phase"] for r in results.values() if r.get("failed") or r.get("problems")]
    if failed:
        print(f"  ERROR: checks failed in {', '.join(failed)} (see above)")
    busy = [f"{p}: {r['activity']}" for p, r in results.items() if "other" in r.get("activity", "")]
    if busy:
        print("  Other work was running during:\n    " + "\n    ".join(busy))
    return not failed


def main(argv=None) -> int:
    opts = parse_args(argv)
    if opts.phase:
        opts.applications = opts.phase == "our-import" and opts.applications
        return run_phase_here(opts)

    print(f"before: {other_activity(opts)}", flush=True)
    pg_args, name, pg_env = recreate_database(opts)
    t0 = time.monotonic()
    subprocess.run(
        [str(PY), "manage.py", "migrate", "-v0"], env=child_env(opts), cwd=ROOT, check=True
    )
    print(f"database {name} recreated and migrated in {time.monotonic() - t0:.1f} s", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="certbody-importbench-"))
    new_file, update_file = tmp / "clients.csv", tmp / "clients_update.csv"
    t0 = time.monotonic()
    generate(new_file, opts.rows)
    generate(update_file, opts.rows, variant=1)
    files = [new_file, update_file]
    if opts.applications:
        files.append(tmp / "clients_applications.csv")
        generate(files[-1], opts.rows, applications=True)
    if opts.profile:
        files.append(tmp / "clients_profile.csv")
        generate(files[-1], opts.profile)
    facts = {"size_mb": new_file.stat().st_size / 2**20, "postgres": postgres_version(opts)}
    print(
        f"generated {len(files)} files of {opts.rows:,} rows in {time.monotonic() - t0:.1f} s "
        f"({facts['size_mb']:.1f} MB each) in {tmp}",
        flush=True,
    )
    results = {}
    try:
        results["baseline"] = run_phase(opts, "baseline", new_file, opts.baseline_rows)
        results["our-import"] = run_phase(opts, "our-import", new_file, opts.rows)
        results["update"] = run_phase(opts, "update", update_file, opts.rows)
        results["bulk-create"] = run_phase(opts, "bulk-create", new_file, opts.rows)
        results["bulk-create-nosearch"] = run_phase(
            opts, "bulk-create-nosearch", new_file, opts.rows
        )
        results["copy"] = run_phase(opts, "copy", new_file, opts.rows)
        if opts.applications:
            r = run_phase(opts, "our-import", files[2], opts.rows, extra=["--with-applications"])
            results["our-import-apps"] = dict(r, phase="our-import-apps")
        if opts.profile:
            run_phase(opts, "profile", files[-1], opts.profile)
    finally:
        if opts.keep_file:
            print(f"files kept in {tmp}")
        else:
            for f in files:
                f.unlink(missing_ok=True)
            tmp.rmdir()
        if not opts.keep_db:
            subprocess.run(["dropdb", "--if-exists", *pg_args, name], check=False, env=pg_env)
    ok = report(opts, results, facts)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
