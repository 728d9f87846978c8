"""How a person is named on every page, message and export.

Chinese names are written family name first and without a space (王建华); Latin names given
name first (Anna Schmidt). Django's ``get_full_name`` always writes "first last", which turns
王 (last) 建华 (first) into "建华 王". ``person_name`` writes each the way its owner does.
"""

import re

# CJK Unified Ideographs (with extension A) and the compatibility block: a name written in them
# is a Chinese (or Japanese) name, written family name first.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def full_name(first: str, last: str) -> str:
    """The name from its parts: 王建华 for ("建华", "王"), Anna Schmidt for ("Anna", "Schmidt")."""
    first, last = (first or "").strip(), (last or "").strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def person_name(user) -> str:
    """A user as people name them: the full name in their own order, else the user name;
    "" for no user."""
    if user is None:
        return ""
    return full_name(user.first_name, user.last_name) or user.get_username()
