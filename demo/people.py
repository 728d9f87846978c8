# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""The demo's people: the staff, auditors and decision maker the services need (never
superusers, no usable password), with auditor profiles that pass the team rules."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from audits.models import AuditorProfile, AuditRole, ImpartialityDeclaration, Qualification
from clients.models import Standard, TechnicalArea

from .vocabulary import STANDARD_CODES

DEMO_USERS = (
    ("staff_demo", "CB staff", "李", "静"),
    ("auditor_demo", "Auditor", "王", "建华"),
    ("auditor2_demo", "Auditor", "陈", "志强"),
    ("decider_demo", "Decision maker", "刘", "海燕"),
)


# More auditors, so that teams can be free on overlapping days (an auditor cannot be in two
# places at once): (username, family name, given name, home city, extra IAF codes).
DEMO_AUDITORS = (
    ("auditor_zhao", "赵", "伟", "上海", (19,)),
    ("auditor_sun", "孙", "丽", "深圳", ()),
    ("auditor_zhou", "周", "敏", "杭州", (29,)),
    ("auditor_wu", "吴", "强", "成都", ()),
    ("auditor_zheng", "郑", "芳", "广州", (19,)),
    ("auditor_feng", "冯", "军", "南京", ()),
    ("auditor_huang", "黄", "磊", "武汉", (34,)),
    ("auditor_he", "何", "洁", "西安", ()),
    ("auditor_lin", "林", "涛", "苏州", (19,)),
    ("auditor_guo", "郭", "静", "北京", ()),
)
DEMO_HOME = {"auditor_demo": "北京", "auditor2_demo": "上海"}
QUALIFIED = (datetime.date(2015, 1, 1), datetime.date(2035, 12, 31))
QUALIFICATION_EVIDENCE = "CCAA 注册审核员，见证审核通过 / CCAA registered auditor, witnessed audit."


@dataclass
class People:
    staff: object
    auditor: object
    auditor2: object
    decider: object
    # Every auditor teams are drawn from (auditor and auditor2 included).
    pool: list = field(default_factory=list)


def ensure_auditors(users) -> None:
    """Auditor profiles for ``users``: team leader for every standard in IAF 33 (and their
    extra codes) from 2015 to 2035, with yearly impartiality declarations, so demo teams pass
    the team rules (audits/services/teams.py)."""
    extra = {name: codes for name, _l, _f, _c, codes in DEMO_AUDITORS}
    cities = DEMO_HOME | {name: city for name, _l, _f, city, _x in DEMO_AUDITORS}
    areas = {a.code: a for a in TechnicalArea.objects.all()}
    standards = list(Standard.objects.filter(code__in=STANDARD_CODES))
    for user in users:
        profile, created = AuditorProfile.objects.get_or_create(
            user=user,
            defaults={"home_city": cities.get(user.username, ""), "languages": "zh-hans,en"},
        )
        if not created:
            continue
        Qualification.objects.bulk_create(
            Qualification(
                profile=profile,
                standard=std,
                technical_area=areas[code],
                role=AuditRole.TEAM_LEADER,
                evidence=QUALIFICATION_EVIDENCE,
                valid_from=QUALIFIED[0],
                valid_until=QUALIFIED[1],
            )
            for std in standards
            for code in (33, *extra.get(user.username, ()))
            if code in areas
        )
        ImpartialityDeclaration.objects.bulk_create(
            ImpartialityDeclaration(profile=profile, year=year, signed_on=datetime.date(year, 1, 5))
            for year in range(QUALIFIED[0].year, QUALIFIED[1].year + 1)
        )


def ensure_people() -> People:
    """The demo users the services need (never superusers; no usable password), and the
    auditors' profiles and qualifications."""
    User = get_user_model()
    users = []
    for username, group, last, first in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": True,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=group))
        users.append(User.objects.get(pk=user.pk))  # fresh permission cache
    pool = [users[1], users[2]]
    for username, last, first, _city, _codes in DEMO_AUDITORS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "is_staff": True},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name="Auditor"))
        pool.append(User.objects.get(pk=user.pk))
    ensure_auditors(pool)
    return People(*users, pool=pool)


def load_standards() -> dict:
    return {code: Standard.objects.get(code=code) for code in STANDARD_CODES}
