"""Issue 17: auditors landed on /admin/. A user who does not work in the admin (an auditor, a
decision maker) is sent to the workspace; administrators and CB staff keep the admin's index,
which links to the workspace (and every admin page's header does)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import resolve, reverse

from audits.views import admin_index, needs_admin_index
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _get(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    request.session = {}
    return admin_index(request)


def test_auditor_and_decider_go_to_the_workspace(auditor, decider):
    for user in (auditor, decider):
        response = _get(user)
        assert response.status_code == 302
        assert response["Location"] == reverse("workspace:home")
        assert not needs_admin_index(user)


def test_staff_and_administrators_keep_the_admin_index(staff):
    admin_user = UserFactory(username="boss", is_superuser=True)
    administrator = UserFactory(username="adm", role="Administrator")
    for user in (staff, admin_user, administrator):
        assert needs_admin_index(user)
        response = _get(user)
        assert response.status_code == 200
        html = response.render().content.decode()
        assert reverse("workspace:home") in html
        assert 'id="certbody-workspace-link"' in html


def test_anonymous_gets_the_admin_login():
    response = _get(AnonymousUser())
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_dual_role_auditor_who_is_staff_keeps_the_admin(auditor):
    auditor.groups.add(*UserFactory(username="s2", role="CB staff").groups.all())
    auditor = type(auditor).objects.get(pk=auditor.pk)
    assert needs_admin_index(auditor)


def test_admin_pages_link_to_the_workspace(client, staff):
    client.force_login(staff)
    html = client.get(reverse("admin:clients_client_changelist")).content.decode()
    assert f'<a href="{reverse("workspace:home")}">Workspace</a>' in html


def test_admin_url_is_mounted(client, auditor):
    """/admin/ itself (certbody/urls.py mounts audits.views.admin_index before the admin)."""
    assert resolve("/admin/").func is admin_index
    client.force_login(auditor)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:home")
    response = client.get("/zh-hans/admin/")
    assert response["Location"] == "/zh-hans/work/"
