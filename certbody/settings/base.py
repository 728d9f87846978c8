"""Settings shared by every environment.

Every setting is read once from the environment through one ``environ.Env`` and has a
default that works on a laptop: SQLite and a filesystem Celery broker that needs no server.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# ---------------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------------
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_fsm",
    "django_fsm_log",
    "django_celery_beat",
    "import_export",
    "axes",
    "django_htmx",
    "django_countries",
    # The project (its management commands, checks and historic migrations), then the apps from
    # the bottom layer up (pyproject.toml, [tool.importlinter]).
    "certbody",
    "accounts",
    "reminders",
    "clients",
    "audits",
    "certificates",
    "workspace",
]
# Demo data (seed_demo, seed_demo_if_empty): development only; local and test settings add it,
# docker-compose.yml's trial turns it on with CERTBODY_DEMO=true.
if env.bool("CERTBODY_DEMO", default=False):
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: a view answers an htmx request with the part of the page it replaces.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After login: the redirect goes to the user's preferred language (accounts/login_language.py).
    "accounts.login_language.LoginLanguageMiddleware",
    # Last (as django-axes requires): turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "certbody.urls"
WSGI_APPLICATION = "certbody.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The workspace's navigation by role (workspace/context_processors.py).
                "workspace.context_processors.workspace",
            ],
        },
    },
    {
        # The public verification pages only (infra/jinja2.py says why).
        "NAME": "jinja2",
        "BACKEND": "infra.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "infra.jinja2.environment"},
    },
]

# ---------------------------------------------------------------------------------------------
# Database: DATABASE_URL (postgres://user@host:5432/name), SQLite by default
# ---------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write to one file. Wait for the write lock instead of failing at
    # once (timeout), take it when the transaction begins (IMMEDIATE: two transactions that
    # read first and then write would otherwise deadlock and fail at once with "database is
    # locked"), and let readers go on while one writes (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DJANGO_DB_PREPARED_STATEMENTS", default=True
):
    # Django turns psycopg's prepared statements off (prepare_threshold None, for connection
    # poolers in transaction mode), which also ignores an explicit execute(prepare=True). The
    # public number lookup (certificates/selectors_public.py) asks for it: planned once per
    # connection instead of at every request (planning cost more than running it:
    # docs/decisions/005-prepared-statements.md). A threshold no statement reaches: only
    # statements that ask are prepared; Django's own queries never are (client-side binding).
    # Behind a pooler in transaction or statement mode without prepared-statement support
    # (PgBouncer before 1.21, or with max_prepared_statements = 0, its default before 1.24), set
    # DJANGO_DB_PREPARED_STATEMENTS=false. Prepared statements live as long as the connection
    # (CONN_MAX_AGE): restart web and worker processes after a migration that changes a column's
    # type ("cached plan must not change result type").
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env.bool(
    "DJANGO_DB_JIT", default=False
):
    # No JIT compilation of the app's queries. Past a million rows the planner's cost estimates
    # pass jit_above_cost and PostgreSQL compiles short web queries that never repay it: the
    # workspace's decisions list spent 2,009 ms of its 3,958 ms compiling (730,000
    # certifications, docs/benchmarks.md). A pooler that rejects the "options" startup
    # parameter (PgBouncer without ignore_startup_parameters = options): set DJANGO_DB_JIT=true
    # and ALTER DATABASE ... SET jit = off instead.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
# Persistent connections: the public pages answer in a few milliseconds, where opening a
# connection per request would cost more than the query.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Internationalisation: Simplified Chinese and English
# ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = env("DJANGO_LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Country names (django-countries) as Chinese certification bodies publish them: the English
# names stay ISO's (IAF CertSearch reads them), the Chinese ones are 中国台湾, 中国香港, 中国澳门
# (locale/zh_Hans; CNCA's published certificate data writes them so).
COUNTRIES_OVERRIDE = {"TW": _("Taiwan"), "HK": _("Hong Kong"), "MO": _("Macao")}
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Static and media files
# ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
# Stored files are never served from MEDIA_ROOT: their URLs lead to a staff-only view that
# checks the admin permissions of the object holding the file (infra/files.py).
MEDIA_URL = "admin/files/"
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Everyone signs in to the workspace and lands on their own work (workspace/views/home.py);
# the admin keeps its own login for configuration.
LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:home"

# ---------------------------------------------------------------------------------------------
# Cache: CACHE_URL (redis://127.0.0.1:6379/1 in production, shared by every web process: the
# public pages' rate limits count there). By default a per-process memory cache, enough for one
# development server.
# ---------------------------------------------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://certbody")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's backend with one redis-py client per pool and a one-round-trip incr.
    CACHES["default"]["BACKEND"] = "infra.cache.RedisCache"
    # redis-py waits without limit by default: a Redis that drops packets or hangs would hold
    # every public request (the rate limit counts there). Short timeouts; the limiter then
    # lets the request through and skips the cache for RATELIMIT_CACHE_RETRY_AFTER seconds
    # (infra/ratelimit.py). CACHE_URL's query string can override.
    options = CACHES["default"].setdefault("OPTIONS", {})
    options.setdefault("socket_connect_timeout", 0.5)
    options.setdefault("socket_timeout", 1.0)
# Import progress (clients/imports/jobs.py) must be seen by the web process while the worker
# imports: the shared cache (with its timeouts) when there is one, else files under var/.
CACHES["progress"] = (
    {**CACHES["default"], "OPTIONS": dict(CACHES["default"].get("OPTIONS", {}))}
    if "redis" in CACHES["default"]["BACKEND"].lower()
    else env.cache("PROGRESS_CACHE_URL", default=f"filecache://{VAR_DIR / 'cache' / 'progress'}")
)
# The public pages limit requests per client address (infra/ratelimit.py), counted in the
# default cache: a memory cache counts per process, enough for the one development server only.
# Behind a reverse proxy, set DJANGO_REAL_IP_HEADER (e.g. HTTP_X_REAL_IP) to the header it sets.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# Each web process sends its counts to the cache in batches, at most this often (seconds); an
# address near its limit is counted at every request (infra/ratelimit.py). 0: every request.
RATELIMIT_SYNC_INTERVAL = env.float("RATELIMIT_SYNC_INTERVAL", default=0.1)
# After the cache timed out, a process counts alone for this many seconds instead of waiting
# for the cache's timeout at every request (a Redis that hangs).
RATELIMIT_CACHE_RETRY_AFTER = env.float("RATELIMIT_CACHE_RETRY_AFTER", default=5.0)
REAL_IP_HEADER = env("DJANGO_REAL_IP_HEADER", default="")
RATELIMIT_IP_META_KEY = REAL_IP_HEADER or None

# ---------------------------------------------------------------------------------------------
# Login throttling (django-axes; accounts/login_throttle.py). After AXES_FAILURE_LIMIT failed
# logins for one username from one client address, that pair is locked out for
# AXES_COOLOFF_MINUTES after its last failure (another failure while locked out starts the wait
# again); the page says until when. Axes has one limit for all its lockout parameters, so two
# wider, higher limits are counted by certbody's handler from the same records: an address with
# AXES_IP_FAILURE_LIMIT failures (any usernames, each counting while within the cool-off of its
# pair's last failure) is locked out for every username, so one address cannot try passwords
# across all accounts; a username with AXES_USERNAME_FAILURE_LIMIT failures (any addresses) is
# locked out from every address, against guessing one account from many addresses (the price:
# someone with several addresses can keep that account locked; an administrator sees it in
# Access attempts). 0 turns either off. The address is the rate limiter's (DJANGO_REAL_IP_HEADER
# behind a proxy, else REMOTE_ADDR; an IPv6 address counts per /64). Every failure and login is
# recorded (admin: Access attempts, Access failures, Access logs); an administrator unlocks by
# deleting the access attempt, or `manage.py axes_reset_username USERNAME`.
# ---------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=50)
AXES_HANDLER = "accounts.login_throttle.ThrottleHandler"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.login_throttle.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# ---------------------------------------------------------------------------------------------
# Mail
# ---------------------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="certbody@localhost")
# Where DJANGO_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend writes its mails.
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))

# ---------------------------------------------------------------------------------------------
# Celery: CELERY_BROKER_URL (redis://127.0.0.1:6379/0); by default a filesystem broker that
# needs no server. One beat only, with schedules declared in certbody/celery.py and synced to
# django-celery-beat's tables (editable in the admin afterwards).
# ---------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
    # The filesystem transport fails on missing folders; make them on first use.
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# Short timeouts on every Redis use: redis-py and kombu wait for ever by default, and a Redis
# that accepted connections and never answered held a decision's request for minutes. Requests
# never publish themselves (infra/queueing.py: after commit, a background thread does); a
# publish gives up after about one socket timeout, and what could not be queued is done by the
# sweep every 10 minutes (certbody/celery.py): missing certificate PDFs, unsent reminders.
BROKER_CONNECT_TIMEOUT = env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=0.5)
BROKER_SOCKET_TIMEOUT = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
        "socket_timeout": BROKER_SOCKET_TIMEOUT,
    }
# Connecting to publish: give up after this long (kombu retried for 4 s by default).
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
# A publish that failed is tried once more at once, on a fresh connection (a pooled connection
# that Redis closed); no retry loop.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
# A Redis result backend (none by default: results are ignored) gets the same timeouts.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = BROKER_SOCKET_TIMEOUT
# After a publish timed out, this process queues nothing for this many seconds (each publish
# would wait for the timeout again): the sweep does that work (infra/queueing.py).
QUEUEING_RETRY_AFTER = env.float("QUEUEING_RETRY_AFTER", default=10.0)
# The sweep renders at most this many missing certificate PDFs a run (newest first).
QUEUEING_SWEEP_MAX_PDFS = env.int("QUEUEING_SWEEP_MAX_PDFS", default=200)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker child whose resident memory passed this many KiB after a task (a large import
# reaches a few hundred MB) is replaced by a fresh one, so that a big job does not leave the
# worker holding the memory; the task itself always completes. 0 turns it off.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = (
    env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=300 * 1024) or None
)
CELERY_TIMEZONE = TIME_ZONE
# Creates missing schedule rows at beat start and keeps what staff changed in the admin
# (certbody/beat.py; `manage.py sync_beat_schedule --reset` restores the code's schedules).
CELERY_BEAT_SCHEDULER = "certbody.beat:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# ---------------------------------------------------------------------------------------------
# django-fsm-log: every transition of every state machine is written to StateLog
# ---------------------------------------------------------------------------------------------
DJANGO_FSM_LOG_STORAGE_METHOD = "django_fsm_log.backends.SimpleBackend"

# ---------------------------------------------------------------------------------------------
# Certification policy. Rules marked (policy) in shared/domain.md are settings with these
# defaults, never constants in the code. Override with CERTBODY_<NAME> in the environment.
# ---------------------------------------------------------------------------------------------
CERTBODY = {
    # Name printed on certificates and in mail.
    "BODY_NAME": env("CERTBODY_BODY_NAME", default="certbody Certification Ltd."),
    # The body's address, printed under its name on certificates (ISO/IEC 17021-1 8.2.2); one
    # line, Chinese and English as it should read. Empty: none printed (check --deploy warns).
    "BODY_ADDRESS": env("CERTBODY_BODY_ADDRESS", default=""),
    # Where the public verification pages are reached from outside; printed as the QR code on
    # certificates (…/verify/<number>/) and the base of the links in mail. No trailing slash.
    # Default: this machine on the port served (PORT; run.py sets both from the port it runs
    # the app on). Set it in production to the address others reach.
    "PUBLIC_BASE_URL": env(
        "CERTBODY_PUBLIC_BASE_URL", default=f"http://127.0.0.1:{env('PORT', default='8000')}"
    ),
    # Accreditation printed on certificates, e.g. "CNAS C123-M" (empty: none printed).
    "ACCREDITATION": env("CERTBODY_ACCREDITATION", default=""),
    # Marks printed on certificates: paths to PNG or JPEG files (empty: none printed). The
    # body's certification mark goes on every certificate; the accreditation body's mark only
    # where the accreditation allows it: ACCREDITATION set and the standard within it
    # (Standard.accredited). A file that cannot be read as an image stops the start with an
    # error naming the setting (certificates/checks.py, certificates.E001).
    "CERTIFICATION_MARK": env("CERTBODY_CERTIFICATION_MARK", default=""),
    "ACCREDITATION_MARK": env("CERTBODY_ACCREDITATION_MARK", default=""),
    # Public pages: requests per client address (infra/ratelimit.py, e.g. 60/m) and the
    # longest search text accepted.
    "PUBLIC_RATE_LIMIT": env("CERTBODY_PUBLIC_RATE_LIMIT", default="60/m"),
    "PUBLIC_MAX_QUERY_LENGTH": env.int("CERTBODY_PUBLIC_MAX_QUERY_LENGTH", default=100),
    # IAF CertSearch export: rows per .xlsx file (IAF: at most 10,000) and the folder the monthly
    # task writes to.
    "CERTSEARCH_MAX_ROWS": env.int("CERTBODY_CERTSEARCH_MAX_ROWS", default=10000),
    "CERTSEARCH_EXPORT_DIR": env(
        "CERTBODY_CERTSEARCH_EXPORT_DIR", default=str(VAR_DIR / "certsearch")
    ),
    # Bulk import (clients/imports): largest CSV or XLSX file accepted, in bytes; a larger one
    # is refused with its size and this limit before anything is read.
    "IMPORT_MAX_BYTES": env.int("CERTBODY_IMPORT_MAX_BYTES", default=50 * 1024 * 1024),
    # Application documents (the intake checklist's files): the largest file accepted, in
    # bytes, and the file name endings accepted (PDF, OFD, images, office documents, archives).
    "APPLICATION_DOCUMENT_MAX_BYTES": env.int(
        "CERTBODY_APPLICATION_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024
    ),
    "APPLICATION_DOCUMENT_TYPES": env.list(
        "CERTBODY_APPLICATION_DOCUMENT_TYPES",
        default=[
            "pdf",
            "ofd",
            "jpg",
            "jpeg",
            "png",
            "gif",
            "tif",
            "tiff",
            "webp",
            "doc",
            "docx",
            "xls",
            "xlsx",
            "ppt",
            "pptx",
            "odt",
            "ods",
            "odp",
            "rtf",
            "txt",
            "csv",
            "zip",
            "7z",
            "rar",
        ],
    ),
    # An .xlsx workbook is a ZIP that a few hundred KB can make unpack to gigabytes, all of it
    # in the memory of the process reading it. Before anything is unpacked (from the ZIP
    # directory: infra/tabular/workbook.py check_workbook), a workbook is refused that
    # unpacks to more than IMPORT_MAX_UNPACKED_BYTES in all (a 100,000-row client list is
    # ~40 MB), holds more than IMPORT_MAX_ZIP_MEMBERS parts (Excel writes ~15), has a part
    # over 1 MB packed more than IMPORT_MAX_COMPRESSION_RATIO times (worksheets pack 5-20
    # times; a bomb ~1000), or a part other than a worksheet or its shared strings (openpyxl
    # parses those whole: styles, pictures, charts...) over IMPORT_MAX_XML_PART_BYTES. A cell
    # past column IMPORT_MAX_COLUMNS is refused before the rows are read. Each message names
    # the setting. The same limits hold for the audit-time tables' import in the admin.
    # The shared strings (the text of the cells, kept once per distinct text) are not streamed:
    # openpyxl makes a list of every one of them before the first row, taking 4-20 times
    # their XML in memory (~100-180 bytes per string). So the part is refused over
    # IMPORT_MAX_SHARED_STRINGS_BYTES (from the ZIP directory) or, counted in one streamed
    # pass before openpyxl opens the workbook, over IMPORT_MAX_SHARED_STRINGS strings: at the
    # defaults a worker grows by at most ~200 MB, under CELERY_WORKER_MAX_MEMORY_PER_CHILD
    # (300 MB). A 100,000-row client list holds ~10-20 MB of them; a larger list goes as CSV.
    "IMPORT_MAX_UNPACKED_BYTES": env.int(
        "CERTBODY_IMPORT_MAX_UNPACKED_BYTES", default=100 * 1024 * 1024
    ),
    "IMPORT_MAX_ZIP_MEMBERS": env.int("CERTBODY_IMPORT_MAX_ZIP_MEMBERS", default=1000),
    "IMPORT_MAX_COMPRESSION_RATIO": env.int("CERTBODY_IMPORT_MAX_COMPRESSION_RATIO", default=100),
    "IMPORT_MAX_XML_PART_BYTES": env.int(
        "CERTBODY_IMPORT_MAX_XML_PART_BYTES", default=8 * 1024 * 1024
    ),
    "IMPORT_MAX_COLUMNS": env.int("CERTBODY_IMPORT_MAX_COLUMNS", default=256),
    "IMPORT_MAX_SHARED_STRINGS_BYTES": env.int(
        "CERTBODY_IMPORT_MAX_SHARED_STRINGS_BYTES", default=24 * 1024 * 1024
    ),
    "IMPORT_MAX_SHARED_STRINGS": env.int("CERTBODY_IMPORT_MAX_SHARED_STRINGS", default=1_000_000),
    # PostgreSQL work_mem for the import's transaction only (SET LOCAL): the GIN indexes of the
    # client name search merge their pending entries in work_mem-sized batches while the
    # import writes; 4 MB (the server default) makes that merge ~10 % of an import.
    "IMPORT_WORK_MEM": env.str("CERTBODY_IMPORT_WORK_MEM", default="64MB"),
    # Imports from the admin (clients/imports/jobs.py): files up to this size, and workbooks
    # that also unpack to at most IMPORT_INLINE_MAX_UNPACKED_BYTES (~3,000 rows, as many as a
    # 256 KB CSV), are checked and imported in the request; larger ones on the Celery worker
    # with a progress bar.
    "IMPORT_INLINE_MAX_BYTES": env.int("CERTBODY_IMPORT_INLINE_MAX_BYTES", default=256 * 1024),
    "IMPORT_INLINE_MAX_UNPACKED_BYTES": env.int(
        "CERTBODY_IMPORT_INLINE_MAX_UNPACKED_BYTES", default=2 * 1024 * 1024
    ),
    # Prefix of certificate numbers, e.g. CB-ITSM-000042-V1.
    "CERTIFICATE_NUMBER_PREFIX": env("CERTBODY_CERTIFICATE_NUMBER_PREFIX", default="CB"),
    # Intake: management system operating at least this many months before application.
    "MIN_OPERATING_MONTHS": env.int("CERTBODY_MIN_OPERATING_MONTHS", default=3),
    # Stage 1 older than this (months, counted from its last day) needs a justification.
    "STAGE1_VALIDITY_MONTHS": env.int("CERTBODY_STAGE1_VALIDITY_MONTHS", default=6),
    # Majors not verified this many months after the last day of stage 2: new stage 2.
    "MAJOR_VERIFICATION_LIMIT_MONTHS": env.int(
        "CERTBODY_MAJOR_VERIFICATION_LIMIT_MONTHS", default=6
    ),
    # Finding response deadlines (days after the finding is raised).
    "FINDING_PLAN_DAYS": env.int("CERTBODY_FINDING_PLAN_DAYS", default=30),
    # Majors: the client's correction is due first, its verification by the body after it.
    "MAJOR_CORRECTION_DAYS": env.int("CERTBODY_MAJOR_CORRECTION_DAYS", default=60),
    "MAJOR_VERIFICATION_DAYS": env.int("CERTBODY_MAJOR_VERIFICATION_DAYS", default=90),
    # The certification cycle.
    "CYCLE_YEARS": env.int("CERTBODY_CYCLE_YEARS", default=3),
    # Expiry = decision date + 3 years - 1 day (common practice) when True.
    "EXPIRY_MINUS_ONE_DAY": env.bool("CERTBODY_EXPIRY_MINUS_ONE_DAY", default=True),
    # First surveillance due no later than this many months after the decision.
    "FIRST_SURVEILLANCE_MONTHS": env.int("CERTBODY_FIRST_SURVEILLANCE_MONTHS", default=12),
    # China, CNCA-QMS-01:2025: an applicant whose certificate for the standard was suspended or
    # withdrawn for its own failings (not at its request) in this many months before the
    # application is not accepted. 0 turns the rule off.
    "REFUSE_AFTER_SUSPENSION_MONTHS": env.int(
        "CERTBODY_REFUSE_AFTER_SUSPENSION_MONTHS", default=12
    ),
    # Suspension lasts at most this long before withdrawal or scope reduction.
    "SUSPENSION_MAX_MONTHS": env.int("CERTBODY_SUSPENSION_MAX_MONTHS", default=6),
    # After expiry, restoration is possible within this many months.
    "RESTORATION_WINDOW_MONTHS": env.int("CERTBODY_RESTORATION_WINDOW_MONTHS", default=6),
    # -- Audit time (IAF MD 5, MD 11, MD 1; ISO/IEC 20000-6 9.1.4) --
    # Share of the initial audit time given to stage 1 (the rest is stage 2), in percent.
    "AUDIT_TIME_STAGE1_PERCENT": env.int("CERTBODY_AUDIT_TIME_STAGE1_PERCENT", default=30),
    # At least this share of every audit's time is spent on site, in percent.
    "AUDIT_TIME_MIN_ONSITE_PERCENT": env.int("CERTBODY_AUDIT_TIME_MIN_ONSITE_PERCENT", default=80),
    # Caps: total reduction of the table time; integrated-system reduction; per-site reduction.
    "AUDIT_TIME_MAX_REDUCTION_PERCENT": env.int(
        "CERTBODY_AUDIT_TIME_MAX_REDUCTION_PERCENT", default=30
    ),
    "AUDIT_TIME_MAX_INTEGRATION_PERCENT": env.int(
        "CERTBODY_AUDIT_TIME_MAX_INTEGRATION_PERCENT", default=20
    ),
    "AUDIT_TIME_MAX_SITE_REDUCTION_PERCENT": env.int(
        "CERTBODY_AUDIT_TIME_MAX_SITE_REDUCTION_PERCENT", default=50
    ),
    # Surveillance and recertification time as a fraction of a fresh initial calculation.
    "SURVEILLANCE_TIME_FRACTION": env("CERTBODY_SURVEILLANCE_TIME_FRACTION", default="1/3"),
    "RECERTIFICATION_TIME_FRACTION": env("CERTBODY_RECERTIFICATION_TIME_FRACTION", default="2/3"),
    # Multi-site sampling: at least this share of the sample is drawn at random, in percent.
    "SAMPLE_RANDOM_PERCENT": env.int("CERTBODY_SAMPLE_RANDOM_PERCENT", default=25),
    # -- The audit programme --
    # Surveillance 1 is planned this many months after the decision (due within 12).
    "SURVEILLANCE_PLAN_MONTHS": env.int("CERTBODY_SURVEILLANCE_PLAN_MONTHS", default=10),
    # Recertification: start planning this many months before expiry, audit this many before.
    "RECERTIFICATION_PLANNING_MONTHS": env.int(
        "CERTBODY_RECERTIFICATION_PLANNING_MONTHS", default=6
    ),
    "RECERTIFICATION_AUDIT_MONTHS": env.int("CERTBODY_RECERTIFICATION_AUDIT_MONTHS", default=3),
    # -- Auditors --
    # Consultancy or employment for a client bars auditing or deciding for it this long.
    "CONFLICT_OF_INTEREST_YEARS": env.int("CERTBODY_CONFLICT_OF_INTEREST_YEARS", default=2),
    # Warn when the same team leader led more than this many consecutive audits of a client.
    "ROTATION_MAX_CONSECUTIVE": env.int("CERTBODY_ROTATION_MAX_CONSECUTIVE", default=3),
    # -- Reminders (the scans: each app's reminders.py) --
    # Remind staff this many days before a surveillance is due (comma-separated in the env).
    "REMINDER_SURVEILLANCE_DUE_DAYS": env.list(
        "CERTBODY_REMINDER_SURVEILLANCE_DUE_DAYS", cast=int, default=[90, 30, 7]
    ),
    # A surveillance not held this many days after its due date is overdue: staff and
    # decision makers are told (a suspension must then be considered).
    "SURVEILLANCE_OVERDUE_GRACE_DAYS": env.int(
        "CERTBODY_SURVEILLANCE_OVERDUE_GRACE_DAYS", default=0
    ),
    # What an overdue surveillance escalates to (ISO/IEC 17021-1 9.6.5.1: missing surveillance
    # is a ground for suspension): "propose" (default) sends the decision makers a suspension
    # proposal; "suspend" suspends automatically, the system recorded as the actor, and tells
    # staff and decision makers.
    "SURVEILLANCE_OVERDUE_ACTION": env("CERTBODY_SURVEILLANCE_OVERDUE_ACTION", default="propose"),
    # Recertification planning is reminded of RECERTIFICATION_PLANNING_MONTHS before expiry.
    # Remind staff and decision makers this many days before a certificate expires.
    "REMINDER_CERTIFICATE_EXPIRING_DAYS": env.int(
        "CERTBODY_REMINDER_CERTIFICATE_EXPIRING_DAYS", default=30
    ),
    # ... this many days before the restoration window of an expired certificate closes.
    "REMINDER_RESTORATION_WINDOW_DAYS": env.int(
        "CERTBODY_REMINDER_RESTORATION_WINDOW_DAYS", default=30
    ),
    # ... this many days before a suspension's deadline (withdraw or reduce scope after it).
    "REMINDER_SUSPENSION_DEADLINE_DAYS": env.int(
        "CERTBODY_REMINDER_SUSPENSION_DEADLINE_DAYS", default=30
    ),
    # ... this many days before a finding's plan, correction or verification is due.
    "REMINDER_FINDING_DUE_DAYS": env.int("CERTBODY_REMINDER_FINDING_DUE_DAYS", default=7),
    # ... this many days before a stage 1 passes STAGE1_VALIDITY_MONTHS with no stage 2 held.
    "REMINDER_STAGE1_VALIDITY_DAYS": env.int("CERTBODY_REMINDER_STAGE1_VALIDITY_DAYS", default=30),
    # Remind each member of an audit team this many days before the audit starts.
    "REMINDER_AUDIT_UPCOMING_DAYS": env.int("CERTBODY_REMINDER_AUDIT_UPCOMING_DAYS", default=7),
    # Remind staff of a planned audit without a team leader starting within this many days.
    "REMINDER_AUDIT_WITHOUT_TEAM_DAYS": env.int(
        "CERTBODY_REMINDER_AUDIT_WITHOUT_TEAM_DAYS", default=30
    ),
    # ... this many days before MAJOR_VERIFICATION_LIMIT_MONTHS after stage 2 with majors open.
    "REMINDER_MAJORS_STAGE2_LIMIT_DAYS": env.int(
        "CERTBODY_REMINDER_MAJORS_STAGE2_LIMIT_DAYS", default=30
    ),
    # IAF CertSearch (IAF MD 28): the month's upload is reminded of on the first day of the
    # month (once the monthly export is written) and again this many days before the month
    # ends; not recorded as uploaded by the month's end, it is overdue.
    "REMINDER_CERTSEARCH_UPLOAD_DAYS": env.int(
        "CERTBODY_REMINDER_CERTSEARCH_UPLOAD_DAYS", default=7
    ),
}


# What the demo prints on certificates (a made-up address, the marks in demo/marks/): the
# defaults of the local and test settings and of docker-compose's trial (CERTBODY_DEMO=true);
# the environment still wins (CERTBODY_<NAME>, an empty value turns one off). Not for a body's
# real certificates: production sets its own or none.
DEMO_CERTBODY = {
    "BODY_ADDRESS": "北京市海淀区示例路1号 100080 中国 "
    "No. 1 Example Road, Haidian District, Beijing 100080, China",
    "CERTIFICATION_MARK": str(BASE_DIR / "demo" / "marks" / "certification-mark.png"),
    "ACCREDITATION_MARK": str(BASE_DIR / "demo" / "marks" / "accreditation-mark.png"),
    # Made up too: so that the demo's certificates show where the accreditation mark goes.
    "ACCREDITATION": "DEMO C000-M",
}


def use_demo_certbody(certbody: dict, names=tuple(DEMO_CERTBODY)) -> None:
    """Give ``certbody``'s ``names`` the demo's values where the environment sets none."""
    for name in names:
        certbody[name] = env(f"CERTBODY_{name}", default=DEMO_CERTBODY[name])


if env.bool("CERTBODY_DEMO", default=False):
    use_demo_certbody(CERTBODY)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
