"""The certificates app in the admin, one module per area (Django loads ``certificates.admin``).

``applications`` registers the clients app's Application model here: application intake is the
first step of the certification lifecycle and its actions call the certificates services (its
URL names stay admin:clients_application_*). The forms are in ``forms``.
"""

from . import applications, certificates, certifications, certsearch, scope_extensions

__all__ = ["applications", "certificates", "certifications", "certsearch", "scope_extensions"]
