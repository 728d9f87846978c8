"""Login throttling (issue 14, finding 5; django-axes, accounts/login_throttle.py).

After AXES_FAILURE_LIMIT (5) failed logins for one username from one address, that pair is
locked out for AXES_COOLOFF_TIME (15 minutes) after its last failure, even with the right
password; the page says until when, in the login page's language. Other addresses and other
usernames are not affected. Every event is recorded; an administrator unlocks in the admin.

Wider, higher limits (the review of issue 14): an address with AXES_IP_FAILURE_LIMIT (20)
failures across usernames is locked out for every username, even a correct password of one it
never tried; a username with AXES_USERNAME_FAILURE_LIMIT (50) failures across addresses is
locked out from every address. Other addresses, and other usernames, are not affected.
"""

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def user(db):
    user = UserFactory(username="li", role="CB staff")
    user.set_password(PASSWORD)
    user.save()
    return user


def _post(client, username, password, *, login=LOGIN, **extra):
    return client.post(login, {"username": username, "password": password}, **extra)


def _fail(client, username, times, **extra):
    for _ in range(times):
        response = _post(client, username, "wrong", **extra)
    return response


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_defaults_five_failures_fifteen_minutes_user_and_address():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_IP_FAILURE_LIMIT == 20
    assert settings.AXES_USERNAME_FAILURE_LIMIT == 50
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, user):
    _fail(client, "li", 50)
    response = _post(client, "li", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)
    # The page says when to try again (the cool-off after the last failure).
    assert "Try again after" in response.text
    last = AccessAttempt.objects.get(username="li").attempt_time
    retry = timezone.localtime(last + datetime.timedelta(minutes=15))
    assert retry.strftime("%Y-%m-%d %H:%M") in response.text
    assert 14 * 60 <= int(response["Retry-After"]) <= 15 * 60


def test_below_the_limit_the_right_password_logs_in_and_resets_the_count(client, user):
    _fail(client, "li", 4)
    response = _post(client, "li", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)
    assert not AccessAttempt.objects.filter(username="li").exists()


def test_the_fifth_failure_locks(client, user):
    response = _fail(client, "li", 5)
    assert response.status_code == 429
    assert _post(client, "li", PASSWORD).status_code == 429


def test_the_lock_is_per_username_and_address(client, user):
    other = UserFactory(username="wang", role="CB staff")
    other.set_password(PASSWORD)
    other.save()
    _fail(client, "li", 5)
    # The same user from another address logs in.
    assert _post(client, "li", PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 302
    client.logout()
    # Another user from the same address logs in.
    assert _post(client, "wang", PASSWORD).status_code == 302


def test_after_the_cool_off_the_login_works_again(client, user):
    _fail(client, "li", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert _post(client, "li", PASSWORD).status_code == 302


def test_the_failures_and_the_login_are_recorded(client, user):
    _fail(client, "li", 2)
    attempt = AccessAttempt.objects.get(username="li")
    assert attempt.failures_since_start == 2
    assert attempt.ip_address == "127.0.0.1"
    assert "wrong" not in attempt.post_data  # the password is masked
    assert AccessFailureLog.objects.filter(username="li").count() == 2
    _post(client, "li", PASSWORD)
    assert AccessLog.objects.filter(username="li").count() == 1


def test_the_lockout_page_in_chinese(client, user):
    _fail(client, "li", 5, login="/zh-hans/admin/login/?next=/zh-hans/admin/")
    response = _post(client, "li", PASSWORD, login="/zh-hans/admin/login/?next=/zh-hans/admin/")
    assert response.status_code == 429
    assert "请在" in response.text
    assert "Try again" not in response.text


def test_a_forged_forwarded_header_does_not_escape_the_lock(client, user):
    """REMOTE_ADDR counts unless DJANGO_REAL_IP_HEADER names the proxy's header."""
    _fail(client, "li", 5)
    response = _post(client, "li", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 429


def test_behind_a_proxy_the_configured_header_is_the_address(client, user, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    _fail(client, "li", 5, HTTP_X_REAL_IP="198.51.100.1")
    assert AccessAttempt.objects.get(username="li").ip_address == "198.51.100.1"
    assert _post(client, "li", PASSWORD, HTTP_X_REAL_IP="198.51.100.1").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert _post(client, "li", PASSWORD, HTTP_X_REAL_IP="198.51.100.2").status_code == 302


def test_an_ipv6_client_is_locked_per_64(client, user):
    _fail(client, "li", 5, REMOTE_ADDR="2001:db8:1:2::10")
    assert _post(client, "li", PASSWORD, REMOTE_ADDR="2001:db8:1:2::99").status_code == 429


def test_an_administrator_sees_and_clears_the_lockout_in_the_admin(client, user):
    _fail(client, "li", 5)
    administrator = UserFactory(username="boss", role="Administrator")
    admin_client = type(client)()
    admin_client.force_login(administrator)
    page = admin_client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "li" in page.text
    attempt = AccessAttempt.objects.get(username="li")
    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert _post(client, "li", PASSWORD).status_code == 302


def test_the_administrator_group_holds_every_axes_permission(db):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get(name="Administrator")
    axes_perms = set(Permission.objects.filter(content_type__app_label="axes"))
    assert axes_perms and axes_perms <= set(group.permissions.all())


def test_unlock_from_the_shell(client, user):
    _fail(client, "li", 5)
    call_command("axes_reset_username", "li")
    assert _post(client, "li", PASSWORD).status_code == 302


# -- per address, per username ---------------------------------------------------------------
def _staff(username):
    user = UserFactory(username=username, role="CB staff")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_one_address_guessing_across_accounts_is_locked_out_for_every_account(client, db):
    accounts = [_staff(f"user{n}") for n in range(7)]
    for account in accounts[:6]:
        _fail(client, account.username, 4)  # under the per-account limit each: 24 failures
    # The address is over AXES_IP_FAILURE_LIMIT (20): even the right password of an account it
    # never tried is refused, and the page says why and until when.
    response = _post(client, "user6", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)
    assert "Logins from this address are locked after 20 failed attempts" in response.text
    # The lock ends 15 minutes after the last failure of the oldest of the records that make
    # the 20 (user1..user5: 20 failures), later failures from it extending it.
    records = AccessAttempt.objects.filter(ip_address="127.0.0.1").order_by("-attempt_time")
    counted, oldest = 0, None
    for record in records:
        counted += record.failures_since_start
        if counted >= 20:
            oldest = record.attempt_time
            break
    retry = timezone.localtime(oldest + datetime.timedelta(minutes=15))
    assert retry.strftime("%Y-%m-%d %H:%M") in response.text
    assert 14 * 60 <= int(response["Retry-After"]) <= 15 * 60
    # Another address is not affected, for the same account or one tried from the locked one.
    other = type(client)()
    assert _post(other, "user6", PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 302
    other = type(client)()
    assert _post(other, "user0", PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_a_shared_office_address_under_the_address_limit_locks_only_the_typist(client, db):
    accounts = [_staff(f"user{n}") for n in range(5)]
    _fail(client, "user0", 5)  # locked: this account from this address
    for account in accounts[1:4]:
        _fail(client, account.username, 4)  # 17 failures in all
    assert _post(client, "user0", PASSWORD).status_code == 429
    assert _post(client, "user4", PASSWORD).status_code == 302


def test_the_address_lock_ends_after_the_cool_off(client, db):
    for n in range(5):
        _fail(client, _staff(f"user{n}").username, 4)
    assert _post(client, "user0", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert _post(client, "user0", PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_address(client, db):
    for n in range(5):
        _fail(client, _staff(f"user{n}").username, 4)
    assert _post(client, "user0", PASSWORD).status_code == 429
    call_command("axes_reset_ip", "127.0.0.1")
    assert _post(client, "user0", PASSWORD).status_code == 302


def test_one_account_guessed_from_many_addresses_is_locked_from_every_address(
    client, user, settings
):
    settings.AXES_USERNAME_FAILURE_LIMIT = 12
    for n in range(3):
        _fail(client, "li", 4, REMOTE_ADDR=f"192.0.2.{n + 1}")  # 12 failures, 4 per address
    response = _post(client, "li", PASSWORD, REMOTE_ADDR="192.0.2.200")
    assert response.status_code == 429
    assert "The login li is locked from every address after 12 failed attempts" in response.text
    # Another account from those addresses is not affected.
    _staff("wang")
    assert _post(client, "wang", PASSWORD, REMOTE_ADDR="192.0.2.1").status_code == 302


def test_zero_turns_the_wider_limits_off(client, db, settings):
    settings.AXES_IP_FAILURE_LIMIT = 0
    for n in range(7):
        _fail(client, _staff(f"user{n}").username, 4)
    assert _post(client, "user6", PASSWORD).status_code == 302


def test_the_address_lock_page_in_chinese(client, db):
    zh = "/zh-hans/admin/login/?next=/zh-hans/admin/"
    for n in range(5):
        _fail(client, _staff(f"user{n}").username, 4, login=zh)
    response = _post(client, "user0", PASSWORD, login=zh)
    assert response.status_code == 429
    assert "此地址" in response.text and "请在" in response.text
