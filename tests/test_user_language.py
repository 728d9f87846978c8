# ruff: noqa: RUF001 (full-width punctuation is what the Chinese digest has)
"""Each user's language (issue 5: "mail per recipient is a daily digest, in the recipient's
language"): UserPreference.language decides the language of their reminder digest and of the
interface after they log in; without one, LANGUAGE_CODE (English).

Stage 2 on 2024-12-16..18 raises a major whose plan is due on 2025-01-17: on 2025-01-18 it is
overdue, and staff (no preference) and the decider (zh-hans) each get a digest in the same send
run.
"""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserPreference, user_language
from reminders.digests import pending_digests
from reminders.models import Reminder
from reminders.registry import scan_all
from reminders.sending import send_due_reminders
from tests import lifecycle as lc
from tests.factories import UserFactory

D = datetime.date
DAY = D(2025, 1, 18)
BODY = "certbody Certification Ltd."


@pytest.fixture
def major(db, people):
    _cert, _audit, (major,) = lc.pending(people, findings=["major"])
    return major


def _mail_to(user):
    (message,) = [m for m in mail.outbox if m.to == [user.email]]
    return message


def test_user_language_is_the_preference_else_the_default(db, settings):
    settings.LANGUAGE_CODE = "en"
    nobody = UserFactory(username="nobody")
    blank = UserFactory(username="blank")
    UserPreference.objects.create(user=blank, language="")
    chinese = UserFactory(username="chinese")
    UserPreference.objects.create(user=chinese, language="zh-hans")
    assert [user_language(u) for u in (nobody, blank, chinese)] == ["en", "en", "zh-hans"]


def test_digest_in_each_recipients_language_in_one_send_run(major, people):
    UserPreference.objects.create(user=people.decider, language="zh-hans")
    scan_all(today=DAY)
    result = send_due_reminders(today=DAY)
    assert result.mails == 2

    chinese = _mail_to(people.decider)
    count = Reminder.objects.filter(recipient=people.decider).count()
    assert chinese.subject == f"[{BODY}] 2025-01-18 的 {count} 条期限提醒"
    assert "decider，您好：" in chinese.body
    assert "以下期限需要您处理：" in chinese.body
    assert "不符合项纠正和纠正措施计划逾期" in chinese.body  # Finding plan overdue
    assert "客户的计划应于 2025-01-17 前提交但尚未被接受" in chinese.body
    assert "These deadlines" not in chinese.body
    assert "The client's plan" not in chinese.body
    # Its links open the workspace in Chinese too: the finding on its audit's page.
    assert f"/zh-hans/work/audits/{major.audit_id}/#finding-{major.pk}" in chinese.body

    english = _mail_to(people.staff)
    count = Reminder.objects.filter(recipient=people.staff).count()
    plural = "s" if count != 1 else ""
    assert english.subject == f"[{BODY}] {count} deadline reminder{plural}, 2025-01-18"
    assert "These deadlines need your attention:" in english.body
    assert "Finding plan overdue" in english.body
    assert "The client's plan was due by 2025-01-17 and has not been accepted" in english.body
    assert "/zh-hans/" not in english.body
    assert f"http://127.0.0.1:8000/work/audits/{major.audit_id}/#finding-{major.pk}" in english.body


def test_dry_run_digests_in_the_recipients_language(major, people):
    UserPreference.objects.create(user=people.decider, language="zh-hans")
    UserPreference.objects.create(user=people.staff, language="en")
    scan_all(today=DAY)
    digests = {d.recipient.username: d for d in pending_digests(today=DAY)}
    assert "以下期限需要您处理：" in digests["decider"].body
    assert "These deadlines need your attention:" in digests["staff"].body


def _send_queries(day):
    Reminder.objects.update(sent_at=None, attempts=0)
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert send_due_reminders(today=day).mails == 2
    return [q["sql"] for q in ctx.captured_queries]


def test_the_preferences_cost_no_query_per_recipient(major, people):
    scan_all(today=DAY)
    _send_queries(DAY)  # warm the content type cache
    without = _send_queries(DAY)
    UserPreference.objects.create(user=people.decider, language="zh-hans")
    UserPreference.objects.create(user=people.staff, language="en")
    with_preferences = _send_queries(DAY)
    assert len(with_preferences) == len(without)
    # The preference comes with the reminders (a join), never on its own.
    alone = [
        sql
        for sql in with_preferences + without
        if "accounts_userpreference" in sql and "reminders_reminder" not in sql
    ]
    assert alone == []
    assert "以下期限需要您处理：" in _mail_to(people.decider).body

    with CaptureQueriesContext(connection) as ctx:
        pending_digests(today=DAY)
    assert not [
        q["sql"]
        for q in ctx.captured_queries
        if "accounts_userpreference" in q["sql"] and "reminders_reminder" not in q["sql"]
    ]


# -- the interface after login ---------------------------------------------------------------------
PASSWORD = "correct horse battery staple"


def _user(username, language=None):
    user = UserFactory(username=username, role="CB staff")
    user.set_password(PASSWORD)
    user.save()
    if language is not None:
        UserPreference.objects.create(user=user, language=language)
    return user


def _login(client, user, *, login="/admin/login/", next_="/admin/"):
    return client.post(
        f"{login}?next={next_}",
        {"username": user.username, "password": PASSWORD, "next": next_},
    )


def test_login_takes_a_chinese_user_to_the_admin_in_chinese(db, client):
    user = _user("li", "zh-hans")
    response = _login(client, user)
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/admin/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page["Content-Language"] == "zh-hans"
    assert "站点管理" in page.text  # "Site administration"
    # Its links stay in Chinese.
    assert 'href="/zh-hans/admin/reminders/reminder/"' in page.text


def test_login_keeps_the_page_asked_for(db, client):
    user = _user("li", "zh-hans")
    response = _login(client, user, next_="/admin/reminders/reminder/?acknowledged=no")
    assert response["Location"] == "/zh-hans/admin/reminders/reminder/?acknowledged=no"


def test_login_keeps_an_english_user_in_english(db, client):
    user = _user("smith", "en")
    response = _login(client, user)
    assert response["Location"] == "/admin/"
    page = client.get(response["Location"])
    assert page["Content-Language"] == "en"
    assert "Site administration" in page.text
    # From the Chinese login page, too: the preference wins.
    client.logout()
    response = _login(client, user, login="/zh-hans/admin/login/", next_="/zh-hans/admin/")
    assert response["Location"] == "/admin/"


@pytest.mark.parametrize("language", [None, ""])
def test_login_without_a_preference_stays_in_the_language_of_the_login_page(db, client, language):
    user = _user("wang", language)
    assert _login(client, user)["Location"] == "/admin/"
    client.logout()
    response = _login(client, user, login="/zh-hans/admin/login/", next_="/zh-hans/admin/")
    assert response["Location"] == "/zh-hans/admin/"


def test_a_failed_login_is_not_redirected(db, client):
    user = _user("li", "zh-hans")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": "wrong", "next": "/admin/"},
    )
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_the_user_admin_sets_the_language(db, client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    user = _user("zhao")
    client.force_login(admin_user)
    url = f"/admin/auth/user/{user.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="preference-0-language"' in page.text
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if key in form.fields and value is not None and key not in ("password",)
    }
    data.update(
        {
            "groups": [g.pk for g in user.groups.all()],
            "user_permissions": [],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "09:00:00",
            "preference-TOTAL_FORMS": "1",
            "preference-INITIAL_FORMS": "0",
            "preference-MIN_NUM_FORMS": "0",
            "preference-MAX_NUM_FORMS": "1",
            "preference-0-language": "zh-hans",
            "preference-0-user": str(user.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert user_language(django_user_model.objects.get(pk=user.pk)) == "zh-hans"
