"""The clients app in the admin, one module per area (Django loads ``clients.admin``)."""

from . import applications, clients, imports

__all__ = ["applications", "clients", "imports"]
