"""Laptop settings: the default for manage.py and the run command."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Demo data (seed_demo) is a development tool.
if "demo" not in INSTALLED_APPS:
    INSTALLED_APPS.append("demo")
