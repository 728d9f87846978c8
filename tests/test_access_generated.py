"""Access tests generated from the URL resolver, so that a new page or action is covered the
day it is added (issue 14).

- Every admin page (changelist, add, change, history, delete and every custom URL a ModelAdmin
  registers) and every staff page of the audits app, as every role, with demo data in every
  state: never a server error.
- Every state-changing URL (the admin's transition, add, change and delete URLs, the auditor
  pages' POSTs), tried as each role on an object that role must not touch: 403 or 404, and
  nothing in the database changes.

Who may touch what is written here from the domain rules (shared/domain.md, People), not taken
from the code under test: the model permissions of the roles' groups, the audit team for the
audit steps (leader-only steps: start, report, raise findings; a finding's follow-up: its
team's auditors, not technical experts), and need-to-know for auditors.
"""

import datetime
from io import StringIO

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern
from django_fsm_log.models import StateLog

from audits.models import Audit, Booking, Finding
from core.dates import local_today
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("CB staff", "Auditor", "Decision maker", "Administrator", "superuser", "no group")
# Namespaces of the staff pages: the admin site and the auditor pages / scheduling board.
STAFF_NAMESPACES = ("admin", "audits")
# Admin URLs that are not pages of certbody's data: leaving the session, Django's own
# redirect to a public URL (view_on_site) and the catch-all that redirects to the login.
NOT_PAGES = {"logout", "view_on_site", None}


@pytest.fixture(scope="module")
def _demo_users(django_db_setup, django_db_blocker):
    """The demo data (every lifecycle state, audits in every state, findings) and one user
    per role, seeded once for the module inside a transaction that is rolled back at its end;
    each test runs in a savepoint of it (pytest-django's ``db``), so none sees another's
    changes."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--clients", "32", "--walk", "30", stdout=StringIO())
        User = get_user_model()
        users = {
            "CB staff": User.objects.get(username="staff_demo"),
            "Auditor": User.objects.get(username="auditor_demo"),
            "Decision maker": User.objects.get(username="decider_demo"),
            "Administrator": UserFactory(username="administrator", role="Administrator"),
            "superuser": UserFactory(username="root", is_superuser=True),
            # Staff status but no group: the admin lets them in, and nothing else should.
            "no group": UserFactory(username="nobody"),
        }
        _extension_on_each_side(users["Auditor"], users["CB staff"])
        yield users
        transaction.set_rollback(True)


def _extension_on_each_side(auditor, staff):
    """A scope-extension application on an active certification the auditor audits and on one
    they do not (the demo walks one extension only), so that need-to-know covers both."""
    from certificates import services as svc
    from certificates.models import Certification

    active = Certification.objects.filter(state="active", scope_extensions__isnull=True)
    theirs = active.filter(Q(audits__team_leader=auditor) | Q(audits__members=auditor))
    for cert in (theirs.first(), active.exclude(pk__in=theirs.values("pk")).first()):
        svc.scope_extension_apply(
            certification=cert,
            received_on=local_today(),
            services="generated access test",
            scope=f"{cert.scope}; generated access test",
            by=staff,
        )


@pytest.fixture
def demo(_demo_users, db):
    return _demo_users


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# -- The URLs, from the resolver ----------------------------------------------------------------


def staff_patterns():
    """(namespace, URLPattern) of every named URL in the staff namespaces."""

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in STAFF_NAMESPACES:
                yield namespace, p

    return list(walk(get_resolver().url_patterns, None))


def _arguments(pattern) -> list[str]:
    if isinstance(pattern.pattern, RegexPattern):
        return list(pattern.pattern.regex.groupindex)
    return list(pattern.pattern.converters)


def _model_of(namespace, name):
    """The model a URL name is about (admin: ``<app>_<model>_<what>``; the auditor pages: Audit)."""
    if namespace == "audits":
        return Audit
    best = None
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, model)
    return best[1] if best else None


def samples(model, per_state=2):
    """A few rows of ``model``: the first and last of each state where it has one."""
    manager = model._default_manager
    if any(f.name == "state" for f in model._meta.fields):
        pks = []
        for state in manager.order_by().values_list("state", flat=True).distinct():
            rows = manager.filter(state=state).order_by("pk").values_list("pk", flat=True)
            pks += {rows.first(), rows.last()}
        return list(manager.filter(pk__in=pks))
    rows = list(manager.order_by("pk")[:1]) + list(manager.order_by("-pk")[:1])
    return list({o.pk: o for o in rows}.values())[:per_state]


def page_urls():
    """Every staff page to GET: (label, url)."""
    urls = []
    app_labels = sorted({m._meta.app_label for m in admin.site._registry})
    for namespace, pattern in staff_patterns():
        if pattern.name in NOT_PAGES:
            continue
        name = f"{namespace}:{pattern.name}"
        args = _arguments(pattern)
        model = _model_of(namespace, pattern.name)
        if not args:
            urls.append((name, reverse(name)))
        elif args == ["app_label"]:
            urls += [(name, reverse(name, kwargs={"app_label": a})) for a in app_labels]
        elif args == ["token"]:
            urls.append((name, reverse(name, kwargs={"token": "not-a-token"})))
        elif model is not None and len(args) == 1:
            key = args[0]
            for obj in samples(model):
                urls.append((name, reverse(name, kwargs={key: obj.pk})))
        elif model is not None and args[1:] == ["name"]:
            # Transition pages: those possible from each object's state, and one that is not.
            model_admin = admin.site._registry[model]
            for obj in samples(model):
                possible = [n for n in model_admin.transition_actions if _available(obj, n)]
                impossible = [n for n in model_admin.transition_actions if n not in possible]
                for transition in possible + impossible[:1]:
                    urls.append((name, reverse(name, kwargs={args[0]: obj.pk, "name": transition})))
        else:
            raise AssertionError(f"no arguments known for {name} {args}: teach page_urls")
    return urls


def _available(obj, name) -> bool:
    """Transition ``name`` leaves the object's current state (its rules not judged)."""
    return any(
        t.name == name and t.source in (obj.state, "*", "+")
        for t in obj.get_all_state_transitions()
    )


def test_every_staff_page_as_every_role_has_no_server_error(demo):
    urls = page_urls()
    names = {name for name, _url in urls}
    # The resolver was walked: the pages the issue named are among them.
    assert {
        "admin:certificates_certification_change",
        "admin:audits_audit_transition",
        "admin:audits_finding_add",
        "admin:certificates_certificate_pdf",
        "admin:clients_application_audit_time",
        "audits:audit_detail",
        "audits:schedule_board",
    } <= names
    failures = []
    for role in ROLES:
        client = _client(demo[role])
        for name, url in urls:
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{role}: GET {url} ({name}) -> {response.status_code}")
    assert not failures, "\n".join(failures)


# -- Who must not touch what (the oracle) -------------------------------------------------------

LEADER_STEPS = {"start", "submit_report"}
FINDING_STEPS = {"accept_plan", "mark_corrected", "verify"}


def _on_team(audit, user) -> bool:
    return audit.team_leader_id == user.pk or audit.members.filter(pk=user.pk).exists()


def _expert(audit, user) -> bool:
    return Booking.objects.filter(audit=audit, auditor=user, role="technical_expert").exists()


def may_transition(user, obj, name) -> bool:
    """Whether ``user`` may take transition ``name`` on ``obj`` (domain rules)."""
    if isinstance(obj, Audit) and name in LEADER_STEPS:
        return user.has_perm("audits.conduct_audit") and obj.team_leader_id == user.pk
    if isinstance(obj, Finding) and name in FINDING_STEPS:
        audit = obj.audit
        return (
            user.has_perm("audits.conduct_audit")
            and _on_team(audit, user)
            and not _expert(audit, user)
        )
    meta = getattr(type(obj), name)._django_fsm
    permission = meta.get_transition(obj.state).permission
    assert isinstance(permission, str), f"{name}: teach may_transition this permission"
    return user.has_perm(permission)


# The path from each model an auditor may see part of to its audits' team.
TEAM_PATHS = {
    "audits.audit": "",
    "audits.finding": "audit__",
    "audits.audittimecalculation": "application__certifications__audits__",
    "certificates.certification": "audits__",
    "certificates.decision": "certification__audits__",
    "certificates.certificate": "certification__audits__",
    "certificates.scopeextension": "certification__audits__",
    "clients.client": "certifications__audits__",
    "clients.application": "certifications__audits__",
}


def _seen_by_auditor(obj, user) -> bool:
    path = TEAM_PATHS.get(obj._meta.label_lower)
    if path is None:
        return True  # reference data, or rows the model permissions already decide
    model = type(obj)
    team = Q(**{f"{path}team_leader": user}) | Q(**{f"{path}members": user})
    return model._default_manager.filter(team, pk=obj.pk).exists()


def may_change(user, obj) -> bool:
    meta = obj._meta
    if not user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
        return False
    office = any(
        user.has_perm(p)
        for p in (
            "audits.manage_audit",
            "certificates.manage_certification",
            "certificates.review_application",
            "certificates.decide_certification",
        )
    )
    if isinstance(obj, Finding) and not (
        obj.audit.team_leader_id == user.pk
        and obj.audit.state in ("in_progress", "report_submitted")
    ):
        return False  # a finding is reworded by its leader while the audit is open (only)
    return office or _seen_by_auditor(obj, user)


def fingerprint(obj=None):
    """How many rows each of certbody's tables holds, the state log's newest row, and the
    whole row of ``obj``: any change a refused request made shows here."""
    counts = {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in ("clients", "audits", "certificates", "certbody")
    }
    last_log = StateLog.objects.order_by("-pk").values_list("pk", flat=True).first()
    row = list(type(obj)._default_manager.filter(pk=obj.pk).values()) if obj is not None else None
    return counts, last_log, row


def form_data(form_class, obj, today) -> dict:
    """Valid-looking input for every field of a transition form."""
    data = {}
    for name, field in form_class().fields.items():
        if isinstance(field, forms.ModelMultipleChoiceField):
            data[name] = []
        elif isinstance(field, forms.ModelChoiceField):
            first = field.queryset.first()
            data[name] = first.pk if first else ""
        elif isinstance(field, forms.DateField):
            data[name] = today.isoformat()
        elif isinstance(field, forms.BooleanField):
            data[name] = "on"
        elif isinstance(field, forms.ChoiceField):
            data[name] = next(str(v) for v, _label in field.choices if v)
        elif isinstance(field, forms.IntegerField):
            data[name] = getattr(obj, "revision", 0) or 0
        else:
            data[name] = "generated access test"
    return data


def _refused(client, url, data, obj, failures, label):
    before = fingerprint(obj)
    response = client.post(url, data)
    if response.status_code not in (403, 404):
        failures.append(f"{label}: POST {url} -> {response.status_code}, expected 403 or 404")
    if fingerprint(obj) != before:
        failures.append(f"{label}: POST {url} changed the database")


def forbidden_transition_posts(users):
    """(role, url, data, obj) for each transition URL and role: an object the transition is
    possible on but that the role must not take it on."""
    today = local_today()
    for namespace, pattern in staff_patterns():
        if not (pattern.name or "").endswith("_transition"):
            continue
        model = _model_of(namespace, pattern.name)
        model_admin = admin.site._registry[model]
        key = _arguments(pattern)[0]
        objects = list(model._default_manager.order_by("pk"))
        for name, action in model_admin.transition_actions.items():
            for role in ROLES:
                user = users[role]
                target = next(
                    (
                        o
                        for o in objects
                        if _available(o, name) and not may_transition(user, o, name)
                    ),
                    None,
                )
                if target is None:
                    continue  # the demo data has nothing this role must not do this on
                url = reverse(f"{namespace}:{pattern.name}", kwargs={key: target.pk, "name": name})
                yield role, url, form_data(action.form, target, today), target


def test_no_role_takes_a_transition_it_must_not(demo):
    cases = list(forbidden_transition_posts(demo))
    tried = {(role, url.rsplit("/", 2)[-2]) for role, url, _d, _o in cases}
    # The holes the issue found are among the cases tried.
    for step in ("accept_plan", "mark_corrected", "submit_report", "start"):
        assert ("Auditor", step) in tried, step
    failures = []
    for role, url, data, obj in cases:
        _refused(_client(demo[role]), url, data, obj, failures, role)
    assert not failures, "\n".join(failures)


def test_auditor_pages_refuse_posts_on_audits_not_led(demo):
    """Every auditor-page URL about one audit, POSTed by each role on an audit they do not
    lead: refused (404 for an audit not theirs, 403 for a member who does not lead it, 405
    for a page that takes no POST), nothing changed."""
    today = local_today()
    data = {
        "on": today.isoformat(),
        "recommendation": "recommend",
        "grade": "minor",
        "clause": "8.1",
        "description": "generated access test",
    }
    audits = list(Audit.objects.filter(state__in=["planned", "in_progress"]).order_by("pk"))
    failures = []
    tried = 0
    for namespace, pattern in staff_patterns():
        if namespace != "audits" or _arguments(pattern) != ["pk"]:
            continue
        for role in ROLES:
            user = demo[role]
            target = next((a for a in audits if a.team_leader_id != user.pk), None)
            url = reverse(f"audits:{pattern.name}", kwargs={"pk": target.pk})
            before = fingerprint(target)
            response = _client(user).post(url, data)
            tried += 1
            if response.status_code not in (403, 404, 405):
                failures.append(f"{role}: POST {url} -> {response.status_code}")
            if fingerprint(target) != before:
                failures.append(f"{role}: POST {url} changed the database")
    assert tried >= len(ROLES) * 3  # start, report, findings at least
    assert not failures, "\n".join(failures)


def test_no_role_changes_or_deletes_what_it_must_not(demo):
    """The admin's change and delete URLs of every registered model, POSTed by each role on
    rows it must not change (no change permission, or not its audits') or delete."""
    failures = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        for role in ROLES:
            user = demo[role]
            client = _client(user)
            for obj in samples(model):
                if not may_change(user, obj):
                    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
                    form = model_admin.get_form(_request_as(demo["superuser"]), obj)
                    data = _bound_values(form(instance=obj))
                    _refused(client, url, data, obj, failures, f"{role} change")
                if not user.has_perm(f"{meta.app_label}.delete_{meta.model_name}"):
                    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
                    _refused(client, url, {"post": "yes"}, obj, failures, f"{role} delete")
    assert not failures, "\n".join(failures)


def test_no_one_raises_a_finding_on_an_audit_they_do_not_lead(demo):
    """/admin/audits/finding/add/ with another team's audit: nothing is created, whoever asks."""
    open_audits = list(Audit.objects.filter(state__in=["in_progress", "report_submitted"]))
    assert open_audits
    url = reverse("admin:audits_finding_add")
    failures = []
    for role in ROLES:
        user = demo[role]
        audit = next(a for a in open_audits if a.team_leader_id != user.pk)
        data = {"audit": audit.pk, "grade": "minor", "clause": "8.1", "description": "x"}
        before = fingerprint(audit)
        response = _client(user).post(url, data)
        if response.status_code == 302:
            failures.append(f"{role}: a finding was accepted on audit {audit.pk}")
        if fingerprint(audit) != before:
            failures.append(f"{role}: POST {url} changed the database")
    assert not failures, "\n".join(failures)


def _request_as(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def _bound_values(form) -> dict:
    """What a browser would send back for an unchanged change form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, (datetime.date,)):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    # Inline formsets: none sent means "no forms" to Django's management form check, which
    # fails the form as a whole (a refusal the admin must give before that anyway).
    return data


def test_auditors_read_only_what_their_audits_need(demo):
    """Need-to-know (ISO/IEC 17021-1 8.4): for every model an auditor may see part of, the
    auditor's changelist holds exactly the rows of audits they are on, every other row's page
    is a 404, and the office (staff, decision makers) sees them all."""
    auditor = demo["Auditor"]
    client = _client(auditor)
    staff = _client(demo["CB staff"])
    decider = _client(demo["Decision maker"])
    failures = []
    for label in TEAM_PATHS:
        model = apps.get_model(label)
        meta = model._meta
        theirs = {o.pk for o in model._default_manager.all() if _seen_by_auditor(o, auditor)}
        others = model._default_manager.exclude(pk__in=theirs).order_by("pk")
        assert theirs and others.exists(), f"{label}: the demo data has both kinds of rows"
        changelist = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert changelist.status_code == 200, label
        cl = changelist.context["cl"]
        shown = {o.pk for o in cl.result_list}
        if cl.result_count != len(theirs) or not shown <= theirs:
            failures.append(f"{label}: the auditor's list shows {shown}, expected {theirs}")
        transitions = getattr(admin.site._registry.get(model), "transition_actions", {})
        for obj in others[:3]:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            pages = [
                url,
                reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk]),
            ]
            pages += [
                reverse(f"admin:{meta.app_label}_{meta.model_name}_transition", args=[obj.pk, name])
                for name in transitions
                if _available(obj, name)
            ]
            for page in pages:
                status = client.get(page).status_code
                if status != 404:
                    failures.append(f"{label}: the auditor opened {page} ({status})")
            for office in (staff, decider):
                if office.get(url).status_code != 200:
                    failures.append(f"{label}: the office could not open {url}")
    assert not failures, "\n".join(failures)


def test_auditors_see_only_their_own_relationships_with_clients(demo):
    from audits.models import AuditorProfile, RelationshipDeclaration

    auditor = demo["Auditor"]
    other = AuditorProfile.objects.exclude(user=auditor).first()
    RelationshipDeclaration.objects.create(
        profile=other,
        client=apps.get_model("clients.Client").objects.first(),
        kind=RelationshipDeclaration._meta.get_field("kind").choices[0][0],
        started_on=datetime.date(2020, 1, 1),
        declared_on=datetime.date(2020, 1, 1),
    )
    client = _client(auditor)
    listing = client.get(reverse("admin:audits_relationshipdeclaration_changelist"))
    assert listing.status_code == 200
    assert {r.profile.user_id for r in listing.context["cl"].result_list} <= {auditor.pk}
    page = client.get(reverse("admin:audits_auditorprofile_change", args=[other.pk]))
    assert page.status_code == 200
    assert not [
        f for f in page.context["inline_admin_formsets"] if f.opts.model is RelationshipDeclaration
    ]
