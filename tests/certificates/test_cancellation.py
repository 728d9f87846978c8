# ruff: noqa: RUF001 (full-width punctuation is what Chinese text is written with)
"""Cancellation (注销) apart from withdrawal (撤销) (issue 18, item 3): a certification ended at
the client's request or because it ceased the certified activities is Cancelled, publicly and
in IAF CertSearch; one ended for failing the requirements is Withdrawn. Only a withdrawal bars
a new application for a while (CNCA-QMS-01:2025)."""

import datetime
import html

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog

from audits.models import Audit, AuditState
from certificates import public_status as ps
from certificates import services as svc
from certificates.models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    DecisionOutcome,
    Ending,
    State,
)
from certificates.services import CertificationError
from core.notes import note_text
from tests import lifecycle as lc
from tests.workspace.conftest import signed_in

from .test_public_support import _fresh_rate_limit  # noqa: F401 (autouse fixture)

D = datetime.date
pytestmark = pytest.mark.django_db

GRANTED = D(2024, 1, 15)
ENDED = D(2024, 6, 3)
REQUEST = "客户因业务调整申请注销认证"


def ended(people, *, ending=None, reason=REQUEST, on=ENDED, **kwargs):
    cert = lc.certified(people, decided_on=GRANTED)
    decision = svc.certification_withdraw(
        certification=cert, reason=reason, by=people.decider, on=on, ending=ending, **kwargs
    )
    cert.refresh_from_db()
    return cert, decision


def newest(cert) -> Certificate:
    return cert.certificates.order_by("-version").first()


def history(model, pk, transition):
    return list(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=pk,
            transition=transition,
        ).values_list("description", flat=True)
    )


# -- the service -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ending", "stored", "chinese"),
    [
        (
            Ending.CLIENT_REQUEST,
            f"Certification cancelled at the client's request: {REQUEST}",
            f"认证已应客户申请注销：{REQUEST}",
        ),
        (
            Ending.CEASED,
            f"Certification cancelled (the client ceased the certified activities): {REQUEST}",
            f"认证已注销（客户已停止获证活动）：{REQUEST}",
        ),
    ],
)
def test_a_cancellation_is_recorded_as_one(people, ending, stored, chinese):
    with translation.override("zh-hans"):  # taken from a Chinese page: stored in English
        cert, decision = ended(people, ending=ending)
    assert cert.state == State.WITHDRAWN
    assert newest(cert).status == CertificateStatus.CANCELLED
    assert (decision.outcome, decision.ending, decision.at_client_request) == (
        DecisionOutcome.WITHDRAW,
        ending,
        True,
    )
    assert decision.reason == REQUEST  # as typed
    # The history says it was a cancellation, in the reader's language.
    assert history(Certification, cert.pk, "withdraw") == [stored]
    with translation.override("zh-hans"):
        assert note_text(stored) == chinese
    # The programme's planned audits are cancelled with the same note.
    cancelled = Audit.objects.filter(certification=cert, state=AuditState.CANCELLED)
    assert cancelled.exists()
    for audit in cancelled:
        assert history(Audit, audit.pk, "cancel") == [stored]


def test_a_withdrawal_stays_a_withdrawal(people):
    cert, decision = ended(people, reason="Misuse of the certification mark")
    assert newest(cert).status == CertificateStatus.WITHDRAWN
    assert (decision.ending, decision.at_client_request) == (Ending.WITHDRAWN, False)
    assert history(Certification, cert.pk, "withdraw") == ["Misuse of the certification mark"]


def test_at_client_request_without_an_ending_is_a_cancellation(people):
    """Callers written before endings existed (the demo's walker, imports of old data)."""
    cert, decision = ended(people, at_client_request=True)
    assert decision.ending == Ending.CLIENT_REQUEST
    assert newest(cert).status == CertificateStatus.CANCELLED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"ending": Ending.WITHDRAWN, "at_client_request": True},
            "A withdrawal is for failing the requirements: an ending at the client's request "
            "is a cancellation. Choose “Cancelled at the client's request”.",
        ),
        (
            {"ending": "bankrupt"},
            "“bankrupt” is not a kind of ending: choose withdrawn, cancelled at the client's "
            "request or cancelled because the client ceased the certified activities.",
        ),
    ],
)
def test_a_contradictory_or_unknown_ending_is_refused(people, kwargs, message):
    cert = lc.certified(people, decided_on=GRANTED)
    with pytest.raises(CertificationError) as err:
        svc.certification_withdraw(
            certification=cert, reason="r", by=people.decider, on=ENDED, **kwargs
        )
    assert err.value.messages == [message]
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert not Decision.objects.filter(certification=cert, outcome=DecisionOutcome.WITHDRAW)


# -- the action form (workspace and admin) -----------------------------------------------------
def test_the_withdraw_form_requires_the_kind_of_ending(people):
    cert = lc.certified(people, decided_on=GRANTED)
    url = reverse("workspace:certification_action", args=[cert.pk, "withdraw"])
    client = signed_in(people.decider)
    form = html.unescape(client.get(url).content.decode())
    assert 'name="ending"' in form and "Kind of ending" in form
    for value, label in Ending.choices:
        assert f'value="{value}"' in form and str(label) in form
    data = {"on": "2024-06-03", "reason": REQUEST, "revision": cert.revision}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    client.post(url, {**data, "ending": Ending.CEASED})
    cert.refresh_from_db()
    assert cert.state == State.WITHDRAWN
    assert newest(cert).status == CertificateStatus.CANCELLED
    decision = Decision.objects.get(certification=cert, outcome=DecisionOutcome.WITHDRAW)
    assert (decision.ending, decision.at_client_request) == (Ending.CEASED, True)
    # The certification page says which kind of ending it was.
    shown = html.unescape(
        client.get(reverse("workspace:certification", args=[cert.pk])).content.decode()
    )
    assert "Decision: Cancelled: the client ceased the certified activities" in shown
    assert '<span class="tag bad">Cancelled</span>' in shown


def test_the_admin_withdraw_form_asks_for_the_kind_of_ending(client, people):
    cert = lc.certified(people, decided_on=GRANTED)
    client.force_login(people.decider)
    url = reverse("admin:certificates_certification_transition", args=[cert.pk, "withdraw"])
    page = client.get(url).content.decode()
    assert 'name="ending"' in page and "at_client_request" not in page
    data = {"on": "2024-06-03", "reason": REQUEST, "revision": cert.revision}
    assert client.post(url, data).status_code == 200  # refused: no kind of ending
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    response = client.post(url, {**data, "ending": Ending.CLIENT_REQUEST})
    assert response.status_code == 302
    decision = Decision.objects.get(certification=cert, outcome=DecisionOutcome.WITHDRAW)
    assert decision.ending == Ending.CLIENT_REQUEST


# -- the public status -------------------------------------------------------------------------
def test_the_public_status_and_certsearch_say_cancelled(people):
    cert, _decision = ended(people, ending=Ending.CLIENT_REQUEST)
    assert ps.public_status(newest(cert), on=ENDED) == ps.CANCELLED
    assert ps.certification_public_status(cert) == ps.CANCELLED
    assert ps.CERTSEARCH_STATUS[ps.CANCELLED] == "Cancelled"
    assert ps.CANCELLED in ps.PUBLIC_STATUSES
    with translation.override("en"):
        assert str(ps.label(ps.CANCELLED)) == "Cancelled"
    with translation.override("zh-hans"):
        assert str(ps.label(ps.CANCELLED)) == "已注销"
        assert "注销" in str(ps.explanation(ps.CANCELLED))
        # An audit called off is still 已取消: the certificate's word has its own context.
        assert str(AuditState.CANCELLED.label) == "已取消"
        assert CertificateStatus.CANCELLED.label == "已注销"


def test_the_public_lookup_shows_cancelled_in_both_languages(client, people):
    cert, _decision = ended(people, ending=Ending.CLIENT_REQUEST)
    n = cert.certificate_number
    en = html.unescape(client.get(f"/verify/{n}/").content.decode())
    assert '<span class="status cancelled">Cancelled</span>' in en
    assert "cancelled it at the organisation's request" in en
    zh = client.get(f"/zh-hans/verify/{n}/").content.decode()
    assert '<span class="status cancelled">已注销</span>' in zh
    data = client.get(reverse("public_api:certificate", kwargs={"number": n})).json()
    assert data["status"] == "Cancelled"
    # Was it valid on a date? From the decision's kind of ending.
    on = client.get(reverse("public_api:certificate", kwargs={"number": n}), {"on": "2024-07-01"})
    assert on.json()["valid_on"] | {"text": ""} == {
        "date": "2024-07-01",
        "certificate": f"{n}-V1",
        "status": "Cancelled",
        "valid": False,
        "since": "2024-06-03",
        "text": "",
    }
    assert client.get(f"/verify/{n}/", {"on": "2024-05-01"}).status_code == 200
    found = client.get("/zh-hans/verify/", {"q": n}).content.decode()
    assert "已注销" in found


def test_a_withdrawn_certificate_still_shows_withdrawn(client, people):
    cert, _decision = ended(people, reason="Misuse of the certification mark")
    n = cert.certificate_number
    assert (
        '<span class="status withdrawn">Withdrawn</span>'
        in client.get(f"/verify/{n}/").content.decode()
    )
    assert (
        client.get(reverse("public_api:certificate", kwargs={"number": n})).json()["status"]
        == "Withdrawn"
    )


def test_the_country_is_named_in_the_readers_language(client, people):
    cert = lc.certified(people, decided_on=GRANTED)  # a client in 北京, CN
    n = cert.certificate_number
    en = client.get(f"/verify/{n}/").content.decode()
    assert '<dd><span lang="zh-Hans">北京</span>, China</dd>' in en
    zh = client.get(f"/zh-hans/verify/{n}/").content.decode()
    assert "<dd>北京，中国</dd>" in zh
    assert ", CN" not in zh and "，CN" not in zh and ">CN<" not in zh
    # Machines keep the ISO code.
    data = client.get(reverse("public_api:certificate", kwargs={"number": n})).json()
    assert data["client"]["country"] == "CN"
    # What a person typed is escaped.
    cert.client.__class__.objects.filter(pk=cert.client_id).update(city="<b>Zhuhai</b>")
    page = client.get(f"/verify/{n}/").content.decode()
    assert "<dd>&lt;b&gt;Zhuhai&lt;/b&gt;, China</dd>" in page


# -- a new application afterwards ------------------------------------------------------------------
def _reapply_and_accept(people, cert, received):
    again = lc.apply(people, client=cert.client, std=cert.standard, received_on=received)
    again = svc.certification_start_review(
        certification=again, by=people.staff, on=received + datetime.timedelta(days=2)
    )
    return svc.certification_accept(
        certification=again, by=people.staff, on=received + datetime.timedelta(days=5)
    )


@pytest.mark.parametrize("ending", [Ending.CLIENT_REQUEST, Ending.CEASED])
def test_a_cancellation_does_not_bar_a_new_application(people, ending):
    cert, _decision = ended(people, ending=ending)
    again = _reapply_and_accept(people, cert, D(2024, 9, 2))
    assert again.state == State.ACCEPTED


def test_a_withdrawal_still_bars_a_new_application(people):
    cert, _decision = ended(people, reason="Misuse of the certification mark")
    with pytest.raises(CertificationError) as err:
        _reapply_and_accept(people, cert, D(2024, 9, 2))
    assert "was withdrawn on 2024-06-03 for its own failings" in err.value.messages[0]


# -- the certificate list export / import ------------------------------------------------------
@pytest.mark.parametrize(("language", "word"), [("zh", "注销"), ("en", "Cancelled")])
def test_the_certificate_export_writes_cancelled_and_reads_it_back(people, language, word):
    from tests.certificates.test_export_certificates import export, table
    from tests.certificates.test_import_certificates import ZH, run, written

    cancelled, _decision = ended(people, ending=Ending.CEASED)
    withdrawn = lc.certified(people, decided_on=D(2024, 2, 15))
    svc.certification_withdraw(
        certification=withdrawn, reason="Misuse", by=people.decider, on=ENDED
    )
    _count, data = export("csv", language)
    _headers, rows = table(data, "csv")
    status = {r[0]: r[ZH.index("证书状态")] for r in rows}
    assert status[cancelled.certificate_number] == word
    assert status[withdrawn.certificate_number] == ("撤销" if language == "zh" else "Withdrawn")
    before = written()
    report = run(data, by=people.decider, on=D(2024, 7, 1))
    assert report.ok and report.unchanged == 2
    assert written() == before


@pytest.mark.parametrize(
    "ending, shown",
    [(Ending.CLIENT_REQUEST, True), (Ending.CEASED, True), (Ending.WITHDRAWN, False)],
)
def test_the_workspace_certification_page_says_cancelled(people, ending, shown):
    """Staff see a cancellation as one: the state stays Withdrawn (the lifecycle is the same),
    with a Cancelled tag beside it in their language."""
    cert, _decision = ended(people, ending=ending)
    for language, word in (("en", "Cancelled"), ("zh-hans", "已注销")):
        with translation.override(language):
            url = reverse("workspace:certification", args=[cert.pk])
        page = signed_in(people.staff).get(url)
        assert page.status_code == 200, url
        assert (f'<span class="tag">{word}</span>' in page.content.decode()) is shown
