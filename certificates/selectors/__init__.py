"""Reads of certifications, decisions and certificates that cross relations (the workspace's
lists, worklists and pages). One module per purpose; the public pages read through
certificates/selectors_public.py."""
