"""Who receives reminders: staff by permission. The scans (each app's reminders.py) and the
monthly CertSearch mail choose their recipients with ``recipient_ids``."""

from django.contrib.auth import get_user_model

# Staff who manage certifications (CB staff) and the decision makers: most scans write to them.
MANAGE = "certificates.manage_certification"
DECIDE = "certificates.decide_certification"
# The backend that holds permissions (django-axes' backend, first, holds none).
PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def recipient_ids(*perms: str) -> list[int]:
    """Active staff users (or superusers) with an email address holding any of ``perms``."""
    users = get_user_model().objects
    ids = set()
    for perm in perms:
        ids.update(
            users.with_perm(
                perm, is_active=True, include_superusers=True, backend=PERMISSION_BACKEND
            )
            .filter(is_staff=True)
            .exclude(email="")
            .values_list("pk", flat=True)
        )
    return sorted(ids)
