"""What every page in the workspace's look needs: the user's workspace roles, for the
navigation (the auditor pages, audits/views.py, share the workspace's header too)."""

from .access import roles_of


def workspace(request):
    roles = getattr(request, "roles", None)
    if roles is None:
        roles = roles_of(getattr(request, "user", None))
    return {"workspace_roles": roles}
