"""The whole journey through the staff workspace in a real browser (issue 17): Debian's chromium
driven by Playwright, as CB staff, an auditor and a decision maker each in their own browser.

new client -> ISO/IEC 20000-1 application -> intake (documents, several files at once) -> audit
time -> accept -> stage 1 (the plan form, open, proposes dates and a team leader; the auditor
records the audit held with its report; staff close it and plan stage 2 in one step) -> stage 2
(started, a finding raised on the audit page, the report, the finding's plan accepted, corrected
and verified; staff close it and submit for decision in one step) -> the decision maker grants
on the decision page -> the certificate's PDF -> the public check on /verify/ -> suspension ->
withdrawal.

Every user action is counted (``Hands``): a click, a field filled, a file choice (several files
chosen at once are one choice), an option picked: one each. Signing in is not counted. From the
new client to the granted certificate with its PDF the budget is 40 actions (the admin took
about 170); the count is printed for docs/benchmarks.md.

Screenshots of the main pages (1280 px wide, full page, in English: this machine has no CJK
fonts) are written to docs/screenshots/workspace-<page>.png for the README.

Needs /usr/bin/chromium (apt `chromium`); without it the test skips, under CI=true it fails.
"""

import os
import re
import shutil
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_fsm_log.models import StateLog

from certificates.models import Certification
from clients.models import Client as ClientModel
from clients.models import Standard
from core.dates import local_today
from tests.factories import make_uscc

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
BUDGET = 40
CLIENT_NAME = "杭州云帆智维数据服务有限公司"
DONE = {"accept_plan": "plan_accepted", "mark_corrected": "corrected", "verify": "verified"}
WIDTH = 1280

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the flush after a transactional test must not lose the groups,
    # standards and checklists that migrations create (later tests need them).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _need(tool: str) -> None:
    if shutil.which(tool) or os.path.exists(tool):
        return
    message = f"{tool} is not installed (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Hands:
    """What a person does with the mouse and keyboard, counted: one per click, per field
    filled, per option picked, per file choice."""

    def __init__(self, base: str):
        self.base = base
        self.count = 0
        self.log: list[str] = []
        self.missing: list[str] = []  # links a person needed and no page offered

    def _one(self, page, what: str) -> None:
        self.count += 1
        self.log.append(f"{self.count:3d} {what}  [{_path(page.url)}]")

    def click(self, locator, what: str) -> None:
        locator.click()
        self._one(locator.page, f"click {what}")

    def fill(self, locator, value: str, what: str) -> None:
        locator.fill(value)
        self._one(locator.page, f"fill {what}")

    def check(self, locator, what: str) -> None:
        locator.check()
        self._one(locator.page, f"tick {what}")

    def pick(self, locator, value, what: str) -> None:
        locator.select_option(value)
        self._one(locator.page, f"pick {what}")

    def choose_files(self, locator, files, what: str) -> None:
        locator.set_input_files(files)
        self._one(locator.page, f"choose files {what}")

    def follow(self, page, url: str, what: str) -> None:
        """Click the first link to ``url`` on the page (a person sees it and clicks it). When
        the page offers none, go there anyway (counted as one action) and remember it: the
        test fails at its end on every missing link."""
        link = page.locator(f'a[href^="{url}"]').first
        if link.count():
            self.click(link, what)
        else:
            blocked = page.locator(".blocked").all_inner_texts()
            why = f" (blocked: {' | '.join(blocked)})" if blocked else ""
            self.missing.append(f"no link to {url} ({what}) on {_path(page.url)}{why}")
            page.goto(self.base + url)
            self._one(page, f"(no link) go to {what}")
        page.wait_for_load_state()


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _state(obj) -> str:
    obj.refresh_from_db()
    return obj.state


def shoot(page, name: str) -> None:
    """docs/screenshots/workspace-<name>.png, the whole page, 1280 px wide."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / f"workspace-{name}.png"), full_page=True)


def _signed_in(browser, live_server, user):
    """A browser of its own for ``user``, signed in (the session cookie of a test client's
    login: signing in is not part of the journey)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="en-GB")
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _documents(tmp_path, standard) -> list[Path]:
    """One file per document of the standard's checklist, named by its number on the list and
    its title, as a client's files would be after a scan."""
    files = []
    for n, doc in enumerate(standard.required_documents.order_by("position", "pk"), start=1):
        title = re.sub(r"[^\w ]+", " ", str(doc.title)).strip()[:60]
        path = tmp_path / f"{n:02d} {title}.pdf"
        path.write_bytes(b"%PDF-1.4\n% a scanned document\n")
        files.append(path)
    return files


@pytest.fixture
def journey_people(people, settings, live_server):
    """The people of the journey, with names, and a small demo body around them (so that the
    screenshots show worklists, lists and charts with something in them)."""
    settings.CERTBODY = {**settings.CERTBODY, "PUBLIC_BASE_URL": live_server.url}
    call_command("seed_demo", "--clients", "16", "--walk", "12", stdout=StringIO())
    for user, (first, last) in (
        (people.staff, ("Anna", "Schmidt")),
        (people.auditor, ("Jing", "Chen")),
        (people.auditor2, ("Marco", "Rossi")),
        (people.decider, ("Priya", "Nair")),
    ):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    return people


def test_the_whole_journey_through_the_workspace(journey_people, live_server, tmp_path):
    _need(CHROMIUM)
    cache.clear()  # the public pages' rate limit counts per address
    people = journey_people
    standard = Standard.objects.get(code__icontains="20000")
    files = _documents(tmp_path, standard)

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    hands = Hands(live_server.url)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            staff = _signed_in(browser, live_server, people.staff)
            auditor = _signed_in(browser, live_server, people.auditor)
            decider = _signed_in(browser, live_server, people.decider)
            url = live_server.url
            journey = Journey(hands, url, staff, auditor, decider, people, expect)

            staff.goto(url + reverse("workspace:home"))
            shoot(staff, "home-staff")
            client = journey.new_client()
            application = journey.new_application(client, standard)
            journey.intake(application, files)
            cert = journey.accept(application)
            stage1 = journey.plan(cert, "begin_stage1")
            shoot(staff, "certification")
            journey.audit(stage1, findings=False)
            stage2 = journey.close(stage1, then="begin_stage2")
            journey.audit(stage2, findings=True)
            journey.close(stage2, then="submit_for_decision")
            journey.grant(cert)
            granted_at = hands.count
            journey.certificate_pdf(cert)
            within_budget = hands.count
            print(
                f"\nJOURNEY: {within_budget} actions from a new client to a granted "
                f"certificate with its PDF (budget {BUDGET}; grant at {granted_at})"
            )
            journey.public_check(cert)
            journey.suspend_and_withdraw(cert)
            journey.screenshots()
        except Exception:
            for who, page in (("staff", staff), ("auditor", auditor), ("decider", decider)):
                main = page.locator("main")
                text = main.inner_text(timeout=2000)[:3000] if main.count() else "(no page)"
                print(f"\n--- {who} at {_path(page.url)}:\n{text}")
            raise
        finally:
            print("\n".join(hands.log))
            browser.close()
    assert not hands.missing, "links a person needed:\n" + "\n".join(hands.missing)
    assert within_budget <= BUDGET, (
        f"{within_budget} actions from new client to granted certificate with its PDF "
        f"(budget {BUDGET}):\n" + "\n".join(hands.log)
    )


class Journey:
    """The steps, each as the person whose job it is takes it in the workspace."""

    def __init__(self, hands, url, staff, auditor, decider, people, expect):
        self.hands, self.url = hands, url
        self.staff, self.auditor, self.decider = staff, auditor, decider
        self.people, self.expect = people, expect

    # -- staff: the client and the application -------------------------------------------------
    def new_client(self) -> ClientModel:
        page, hands = self.staff, self.hands
        new = reverse("workspace:client_new")
        if not page.locator(f'a[href^="{new}"]').count():
            hands.follow(page, reverse("workspace:clients"), "Clients")
        hands.follow(page, new, "New client")
        hands.fill(page.locator("#id_legal_name"), CLIENT_NAME, "legal name")
        hands.fill(page.locator("#id_registration_id"), make_uscc(424242), "credit code")
        hands.fill(page.locator("#id_city"), "杭州", "city")
        hands.fill(page.locator("#id_address"), "杭州市西湖区文三路90号", "address")
        hands.fill(page.locator("#id_effective_personnel"), "40", "effective personnel")
        hands.click(page.locator("main form button[type=submit]").first, "save the client")
        page.wait_for_url(re.compile(r"/work/clients/\d+/$"))
        client = ClientModel.objects.get(legal_name=CLIENT_NAME)
        shoot(page, "client")
        return client

    def new_application(self, client, standard):
        page, hands = self.staff, self.hands
        hands.follow(
            page, reverse("workspace:application_new", args=[client.pk]), "New application"
        )
        box = page.get_by_label(str(standard), exact=False).first
        if not box.is_checked():
            hands.check(box, str(standard))
        hands.fill(page.locator("#id_scope"), "信息技术运维服务 / IT operation services", "scope")
        for field, value in (
            ("system_operating_since", "2025-01-02"),
            ("internal_audit_on", "2025-06-02"),
            ("management_review_on", "2025-07-02"),
        ):
            locator = page.locator(f"#id_{field}")
            if not locator.input_value():
                hands.fill(locator, value, field)
        for field in ("no_penalty_declared", "legal_registration_checked"):
            locator = page.locator(f"#id_{field}")
            if not locator.is_checked():
                hands.check(locator, field)
        hands.click(page.get_by_role("button", name="Record the application"), "record")
        page.wait_for_url(re.compile(r"/work/applications/\d+/$"))
        return client.applications.get()

    def intake(self, application, files):
        page, hands = self.staff, self.hands
        hands.choose_files(page.locator("#drop-files"), files, f"{len(files)} documents")
        self.expect(page.locator("#documents")).to_contain_text(f"{len(files)} of {len(files)}")
        shoot(page, "intake")
        hands.click(
            page.get_by_role("button", name=re.compile("Calculate audit time")), "audit time"
        )
        self.expect(page.locator("#time table.figures")).to_be_visible()

    def accept(self, application) -> Certification:
        page, hands = self.staff, self.hands
        hands.click(page.get_by_role("button", name="Accept the application"), "accept")
        page.wait_for_url(re.compile(r"/work/certifications/\d+/"))
        cert = Certification.objects.get(application=application)
        assert cert.state == "accepted", cert.state
        return cert

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def until(check, what: str, timeout: float = 15.0):
        """Wait for the server to have done what the last click asked (``check`` returns a
        true value, read from the database)."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not done after {timeout} s: {what}")
            time.sleep(0.2)

    def take_certification_action(self, page, cert, name, fields=(), what=""):
        """The action's form where the page offers it (shown open, or one click: the
        certification's next step on the audit page just closed too); else on the
        certification page: the action's button, its small form. Then its fields, its
        submit."""
        hands = self.hands
        url = reverse("workspace:certification_action", args=[cert.pk, name])
        form = page.locator(f'form[action="{url}"]')
        if not form.count():
            cert_url = reverse("workspace:certification", args=[cert.pk])
            if _path(page.url).split("?")[0] != cert_url:
                hands.follow(page, cert_url, "the certification")
            if not form.count():
                hands.follow(page, url, what or name)
        form.wait_for()
        self._fill(form, fields)
        hands.click(form.locator("button[type=submit]").first, f"{what or name}: submit")
        form.wait_for(state="detached")  # done: htmx sends the browser back to the page
        page.wait_for_load_state()

    def _fill(self, form, fields):
        hands = self.hands
        for name, value in fields:
            field = form.locator(f'[name="{name}"]')
            if field.evaluate("e => e.tagName") == "SELECT":
                if field.input_value() != str(value):
                    hands.pick(field, str(value), name)
            elif field.get_attribute("type") == "checkbox":
                if value and not field.is_checked():
                    hands.check(field, name)
            elif field.input_value() != str(value):
                hands.fill(field, str(value), name)

    def take_form(self, page, action_url, fields=(), what=""):
        """A form posting to ``action_url`` on the current page (opening its <details> first when
        it is folded): its fields, then its submit button."""
        hands = self.hands
        form = page.locator(f'form[action="{action_url}"]').first
        assert form.count(), f"no form for {action_url} ({what}) on {page.url}"
        details = form.locator("xpath=ancestor::details[1]")
        if details.count() and details.get_attribute("open") is None:
            hands.click(details.locator("summary").first, f"open {what}")
        self._fill(form, fields)
        hands.click(form.locator("button[type=submit]").first, what)
        page.wait_for_load_state()

    def home(self, page):
        """A person opens the workspace (not counted: where every day starts)."""
        page.goto(self.url + reverse("workspace:home"))

    def open_audit(self, page, audit, *, auditor_page=False):
        """From where the person is, the link to the audit (the auditor pages or the
        workspace's audit page)."""
        targets = [reverse("workspace:audit", args=[audit.pk])]
        auditor = reverse("audits:audit_detail", args=[audit.pk])
        targets = [auditor, *targets] if auditor_page else [*targets, auditor]
        for url in targets:
            if page.locator(f'a[href^="{url}"]').count():
                self.hands.follow(page, url, f"open the {audit.get_kind_display()} audit")
                return url
        self.hands.follow(page, targets[0], f"open the {audit.get_kind_display()} audit")
        return targets[0]

    # -- the stages ----------------------------------------------------------------------------
    def plan(self, cert, action):
        """Staff plan the stage on the certification page: the form is open and proposes the
        dates (from the next working day the leader is free; stage 2 after stage 1 ended) and
        a team leader; staff keep the dates and choose the journey's auditor when another is
        proposed."""
        known = set(cert.audits.values_list("pk", flat=True))
        self.take_certification_action(
            self.staff, cert, action, [("team_leader", self.people.auditor.pk)], what=action
        )
        return self.planned(cert, known, action)

    def planned(self, cert, known, action):
        """The audit ``action`` planned: the journey's auditor leads it, on proposed dates."""
        audit = self.until(
            lambda: cert.audits.exclude(pk__in=known).first(), f"{action}: the audit planned"
        )
        assert audit.team_leader_id == self.people.auditor.pk, audit.team_leader_id
        assert audit.planned_start > local_today(), audit.planned_start
        assert audit.planned_end >= audit.planned_start, audit
        if audit.kind == "stage2":
            stage1 = cert.audits.get(kind="stage1")
            assert audit.planned_start > stage1.actual_end, (audit.planned_start, stage1)
        return audit

    def audit(self, audit, *, findings):
        """The auditor: their audit from their home (the workspace's audit page). Without
        findings the audit is recorded held with its report in one step (started on its
        first day, the report on its last: both through their rules); with findings it is
        started, the finding raised on the page, the report submitted, the finding followed
        up. The auditor acts today (the dates allow an early start)."""
        auditor, kind = self.auditor, audit.kind
        self.home(auditor)
        if kind == "stage1":
            shoot(auditor, "home-auditor")
        self.open_audit(auditor, audit)
        recommendation = "ready" if kind == "stage1" else "recommend"
        held = reverse("workspace:audit_held", args=[audit.pk])
        if not findings and auditor.locator(f'form[action="{held}"]').count():
            self.take_form(
                auditor,
                held,
                [("held-recommendation", recommendation)],
                what="record the audit held with its report",
            )
            self.until(lambda: _state(audit) == "report_submitted", "audit report_submitted")
            steps = list(
                StateLog.objects.for_(audit)
                .order_by("timestamp", "pk")
                .values_list("transition", "source_state", "state")
            )
            assert steps == [
                ("start", "planned", "in_progress"),
                ("submit_report", "in_progress", "report_submitted"),
            ], steps
            assert audit.actual_start and audit.actual_end, audit
            return
        self.take_form(
            auditor, reverse("workspace:audit_action", args=[audit.pk, "start"]), what="start"
        )
        self.until(lambda: _state(audit) == "in_progress", "audit in_progress")
        if findings:
            self.take_form(
                auditor,
                reverse("workspace:finding_raise", args=[audit.pk]),
                [
                    ("finding-grade", "major"),
                    ("finding-description", "Change records lack approval (8.5.1.3)."),
                ],
                what="raise a major finding",
            )
            self.until(lambda: audit.findings.exists(), "finding raised")
        self.take_form(
            auditor,
            reverse("workspace:audit_action", args=[audit.pk, "submit_report"]),
            [("recommendation", recommendation)],
            what="submit the report",
        )
        self.until(lambda: _state(audit) == "report_submitted", "audit report_submitted")
        if findings:
            self.follow_up(audit)

    def close(self, audit, *, then):
        """Staff: the report to close, from their home, and the certification's next step
        ``then`` (plan stage 2, submit for decision) — in one step where the audit page
        offers "close and ..." (both through their rules), else one after the other. Returns
        the audit ``then`` planned, if any."""
        staff, cert = self.staff, audit.certification
        known = set(cert.audits.values_list("pk", flat=True))
        self.home(staff)
        self.open_audit(staff, audit)
        if audit.kind == "stage2":
            shoot(staff, "audit")
        fields = [("team_leader", self.people.auditor.pk)] if then == "begin_stage2" else []
        combined = reverse("workspace:audit_close_then", args=[audit.pk, then])
        if staff.locator(f'form[action="{combined}"]').count():
            self.take_form(staff, combined, fields, what=f"close the audit and {then}")
            self.until(lambda: _state(audit) == "closed", "audit closed")
        else:
            self.take_form(
                staff,
                reverse("workspace:audit_action", args=[audit.pk, "close"]),
                what="close the audit",
            )
            self.until(lambda: _state(audit) == "closed", "audit closed")
            self.take_certification_action(staff, cert, then, fields, what=then)
        if then == "begin_stage2":
            return self.planned(cert, known, then)
        self.until(lambda: _state(cert) == "decision_pending", "cert decision_pending")
        return None

    def follow_up(self, audit):
        """The finding's plan accepted, its correction recorded and verified by the auditor on
        the workspace's audit page."""
        page = self.auditor
        self.home(page)
        self.open_audit(page, audit)
        finding = audit.findings.get()
        for name, fields in (
            ("accept_plan", [("plan", "Approve every change before release; retrain.")]),
            ("mark_corrected", []),
            ("verify", []),
        ):
            url = reverse("workspace:finding_action", args=[finding.pk, name])
            self.take_form(page, url, fields, what=f"finding: {name}")
            self.until(lambda n=name: _state(finding) == DONE[n], f"finding {name}")
        self.until(lambda: _state(finding) == "verified", "finding verified")

    def grant(self, cert):
        page, hands = self.decider, self.hands
        self.home(page)
        shoot(page, "home-decider")
        hands.follow(page, reverse("workspace:decision", args=[cert.pk]), "the file to decide")
        shoot(page, "decision")
        form = page.locator('form:has(input[name="action"][value="grant"])')
        assert form.count(), f"no grant on {page.url}"
        self._fill(form, [])
        hands.click(form.locator("button[type=submit]"), "grant")
        self.until(lambda: _state(cert) == "active", "cert active")

    def certificate_pdf(self, cert):
        page = self.decider
        certificate = cert.certificates.latest("pk")
        url = reverse("workspace:certificate_pdf", args=[certificate.pk])
        if not page.locator(f'a[href^="{url}"]').count():
            page.goto(self.url + reverse("workspace:certification", args=[cert.pk]))
        with page.expect_download() as download:
            self.hands.follow(page, url, "the certificate's PDF")
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF"), pdf[:20]

    def public_check(self, cert):
        """Anyone, signed in or not: /verify/ with the certificate number (not counted)."""
        cert.refresh_from_db()
        number = cert.certificates.latest("pk").full_number
        page = self.staff.context.browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.goto(self.url + "/verify/")
        page.locator("input[name=q]").fill(number)
        page.locator("form.search button").click()
        page.wait_for_load_state()
        self.expect(page.locator("main")).to_contain_text(number)
        self.expect(page.locator("main")).to_contain_text("Active")
        page.close()

    def suspend_and_withdraw(self, cert):
        page = self.decider
        page.goto(self.url + reverse("workspace:certification", args=[cert.pk]))
        reason = [("reason", "The client refused the surveillance audit.")]
        self.take_certification_action(page, cert, "suspend", reason, what="suspend")
        self.until(lambda: _state(cert) == "suspended", "cert suspended")
        # The kind of ending is asked, never assumed: refusing surveillance is a withdrawal.
        ending = [*reason, ("ending", "withdrawn")]
        self.take_certification_action(page, cert, "withdraw", ending, what="withdraw")
        self.until(lambda: _state(cert) == "withdrawn", "cert withdrawn")

    def screenshots(self):
        """The pages the README shows that the journey did not pass through."""
        for name, url in (
            ("dashboard", "workspace:dashboard"),
            ("planning", "workspace:planning"),
            ("clients", "workspace:clients"),
            ("decisions", "workspace:decisions"),
        ):
            self.staff.goto(self.url + reverse(url))
            shoot(self.staff, name)
        self.staff.goto(self.url + reverse("workspace:search") + "?q=Cloud")
        shoot(self.staff, "search")
