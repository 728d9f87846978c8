"""Review fixes (issue 17, FIX): editing a client removes a site or contact only with the
model's delete permission and never a site a record refers to; the client forms need
add_client / change_client; a database conflict on save is reported by its real cause."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from clients.models import Client, Contact, Site
from tests.factories import ClientFactory, UserFactory
from tests.lifecycle import certified

from .conftest import signed_in
from .test_client_pages import edit_data, new_client_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return UserFactory(role="Administrator", username="administrator")


def _index_of(data, prefix, pk):
    return next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith(prefix) and key.endswith("-id") and value == str(pk)
    )


def test_staff_cannot_remove_a_site_or_contact(people, as_staff):
    client = ClientFactory()
    extra = Site.objects.create(client=client, name="机房", city="天津", address="x", personnel=5)
    contact = Contact.objects.create(client=client, name="李娜")
    url = reverse("workspace:client_edit", args=[client.pk])
    page = as_staff.get(url)
    assert page.status_code == 200
    assert not page.context["sites"].can_delete and not page.context["contacts"].can_delete
    assert "sites-0-DELETE" not in page.content.decode()
    data = edit_data(client)
    data[f"sites-{_index_of(data, 'sites-', extra.pk)}-DELETE"] = "on"
    data[f"contacts-{_index_of(data, 'contacts-', contact.pk)}-DELETE"] = "on"
    response = as_staff.post(url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "You may not remove sites" in text and "You may not remove contacts" in text
    assert Site.objects.filter(pk=extra.pk).exists()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_site_in_scope_of_an_application_is_never_removed(people, admin_user):
    cert = certified(people)
    client = cert.client
    extra = Site.objects.create(client=client, name="机房X", city="天津", address="x", personnel=5)
    cert.application.sites.add(extra)
    in_scope_before = set(cert.application.sites.values_list("pk", flat=True))
    data = edit_data(client)
    data[f"sites-{_index_of(data, 'sites-', extra.pk)}-DELETE"] = "on"
    response = signed_in(admin_user).post(reverse("workspace:client_edit", args=[client.pk]), data)
    assert response.status_code == 200
    assert "The site 机房X (天津) cannot be removed" in response.content.decode()
    assert Site.objects.filter(pk=extra.pk).exists()
    assert set(cert.application.sites.values_list("pk", flat=True)) == in_scope_before


def test_site_visited_by_an_audit_is_never_removed(people, admin_user):
    cert = certified(people)
    audit = cert.audits.first()
    visited = Site.objects.create(client=cert.client, name="分部", city="天津", address="y")
    audit.sites.add(visited)
    data = edit_data(cert.client)
    data[f"sites-{_index_of(data, 'sites-', visited.pk)}-DELETE"] = "on"
    response = signed_in(admin_user).post(
        reverse("workspace:client_edit", args=[cert.client.pk]), data
    )
    assert response.status_code == 200
    assert Site.objects.filter(pk=visited.pk).exists()


def test_administrator_removes_an_unused_site_and_contact(admin_user):
    client = ClientFactory()
    unused = Site.objects.create(client=client, name="旧仓库", city="天津", address="z")
    contact = Contact.objects.create(client=client, name="张伟")
    data = edit_data(client)
    data[f"sites-{_index_of(data, 'sites-', unused.pk)}-DELETE"] = "on"
    data[f"contacts-{_index_of(data, 'contacts-', contact.pk)}-DELETE"] = "on"
    response = signed_in(admin_user).post(reverse("workspace:client_edit", args=[client.pk]), data)
    assert response.status_code == 302
    assert not Site.objects.filter(pk=unused.pk).exists()
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_client_forms_need_add_and_change_permission(people):
    # A staff-role user (reviews applications) without the client permissions.
    clerk = UserFactory(username="clerk")
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["review_application", "view_client"])
    )
    client = ClientFactory()
    c = signed_in(clerk)
    assert c.get(reverse("workspace:client_new")).status_code == 403
    assert c.post(reverse("workspace:client_new"), new_client_data()).status_code == 403
    url = reverse("workspace:client_edit", args=[client.pk])
    assert c.get(url).status_code == 403
    assert c.post(url, edit_data(client, legal_name="changed")).status_code == 403
    client.refresh_from_db()
    assert client.legal_name != "changed"
    assert Client.objects.count() == 1


def test_a_duplicate_credit_code_reaching_the_database_is_named(as_staff, monkeypatch):
    """Recorded meanwhile by someone else (the form's own check passed): the message names
    the registration id, not "one central function"."""
    existing = ClientFactory()
    monkeypatch.setattr(Client, "validate_constraints", lambda self, exclude=None: None)
    response = as_staff.post(
        reverse("workspace:client_new"), new_client_data(registration_id=existing.registration_id)
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Another client has this registration id" in text
    assert "only one central function" not in text
    assert Client.objects.count() == 1
