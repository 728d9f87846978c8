"""Who may use which workspace page.

The workspace has three roles, read from the permissions the role groups hold (core/roles.py,
the migrations): **staff** run applications, audits and certifications; **decision makers**
decide; **auditors** conduct their audits. One person may hold several (an administrator holds
all). Which *rows* a person sees is not decided here: every read goes through
core.need_to_know.visible (an auditor sees only the clients, certifications and audits of the
audits they are on).
"""

import enum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


class Role(enum.StrEnum):
    STAFF = "staff"
    DECIDER = "decider"
    AUDITOR = "auditor"


ROLE_PERMISSIONS = {
    Role.STAFF: (
        "audits.manage_audit",
        "certificates.manage_certification",
        "certificates.review_application",
    ),
    Role.DECIDER: ("certificates.decide_certification",),
    Role.AUDITOR: ("audits.conduct_audit",),
}

OFFICE = (Role.STAFF, Role.DECIDER)


def roles_of(user) -> frozenset[Role]:
    """The workspace roles ``user`` holds (none for an anonymous or inactive user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    return frozenset(
        role for role, perms in ROLE_PERMISSIONS.items() if any(user.has_perm(p) for p in perms)
    )


def workspace_page(*roles: Role):
    """A workspace view: a signed-in user holding one of ``roles`` (any workspace role when none
    is given); others get the login page (anonymous) or 403. Sets ``request.roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            request.roles = roles_of(request.user)
            if not request.roles or (roles and not request.roles.intersection(roles)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
