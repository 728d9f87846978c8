"""Laptop settings: the default for manage.py and the run command."""

from .base import *  # noqa: F403
from .base import CERTBODY, INSTALLED_APPS, env, use_demo_certbody

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Demo data (seed_demo) is a development tool.
if "demo" not in INSTALLED_APPS:
    INSTALLED_APPS.append("demo")

# The demo's body address, marks and accreditation on certificates (base.py, DEMO_CERTBODY).
use_demo_certbody(CERTBODY)
