"""The clients app in the admin, one module per area (Django loads ``clients.admin``).

Applications are registered by ``certificates.admin.applications`` (intake opens certifications).
"""

from . import clients, imports

__all__ = ["clients", "imports"]
