"""Client profiles for the demo: a client with its sites and primary contact, and a valid
registration id derived from a serial number.

Serials start after the largest client pk (``next_serial``), so a second run adds clients
without unique-key collisions. Chinese clients get a unified social credit code of
GB 32100-2015 whose organisation code is "MA" + the serial in base 31 + its GB 11714 check
character, and whose last character is the USCC check character computed by python-stdnum.
"""

import math
import random
from dataclasses import dataclass
from itertools import islice

from django.db.models import Max
from stdnum.cn import uscc

from clients.models import Client, Standard

from .vocabulary import (
    BRAND_HEAD,
    BRAND_TAIL,
    CITIES,
    CITY_CUM,
    CONTACT_ROLES,
    DEMO_NOTE,
    FOREIGN,
    FOREIGN_SHARE,
    GIVEN_NAMES,
    INDUSTRIES,
    MOBILE_PREFIXES,
    SCOPES,
    SITE_ACTIVITIES,
    SITE_KINDS,
    STANDARD_CODES,
    STANDARD_CUM,
    SURNAMES,
    TOWERS,
    City,
)

# -- registration ids ---------------------------------------------------------------------------
_B31 = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet, in ASCII order
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
MAX_SERIAL = 31**6 - 1


def _base31(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 31)
        out.append(_B31[r])
    if n:
        raise ValueError("serial too large")
    return "".join(reversed(out))


def _org_check(code8: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    total = sum(int(c, 36) * w for c, w in zip(code8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_uscc(serial: int, region: str) -> str:
    """A valid unified social credit code (enterprise, registered by SAMR) for ``serial``."""
    org8 = "MA" + _base31(serial, 6)
    body = f"91{region}{org8}{_org_check(org8)}"
    return body + uscc.calc_check_digit(body)


def foreign_registration_id(country: str, serial: int, city: str = "") -> str:
    if country == "HK":
        return f"CR {serial:08d}"
    if country == "SG":
        return f"{serial:09d}{'ABCDEGHKMNRWZ'[serial % 13]}"  # a UEN-like number
    return f"HRB {serial} (Amtsgericht {city})"


def next_serial() -> int:
    """Serial of the next client: one more than the largest client pk.

    Each run numbers its clients start, start + 1, ... in creation order, with start above
    every pk at the time; pks are handed out in increasing order and never reused, so every
    seeded client's serial is at most its own pk. Starting after the largest pk therefore
    meets no serial still in the database (deleted clients included). ``dodge_collisions``
    covers the remaining case, an id typed in by hand."""
    return (Client.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


# -- profiles -----------------------------------------------------------------------------------
@dataclass(slots=True)
class Profile:
    client: dict
    sites: list
    contact: dict
    language: str
    region: str = ""  # the USCC division code (CN only), to rebuild the id on a collision
    serial: int = 0


def _effective_personnel(rng) -> int:
    return max(5, min(5000, round(math.exp(rng.gauss(math.log(60), 1.3)))))


def _cn_address(rng, city: City, district=None) -> str:
    _, name, streets = district or rng.choice(city.districts)
    n = rng.randint(1, 399)
    kind = rng.random()
    if kind < 0.4:
        tail = f"{rng.randint(1, 12)}号楼{rng.randint(1, 20)}层"
    elif kind < 0.7:
        tail = f"{rng.randint(1, 9)}栋{rng.randint(1, 25)}{rng.randint(1, 20):02d}室"
    else:
        tail = f"{rng.choice(TOWERS)}大厦{rng.randint(2, 30)}层"
    return f"{city.prefix}{name}{rng.choice(streets)}{n}号{tail}"


def make_profile(rng: random.Random, serial: int) -> Profile:
    """One realistic client (with sites and a contact) whose registration id derives from
    ``serial``."""
    if rng.random() < FOREIGN_SHARE:
        return _foreign_profile(rng, serial)
    city = rng.choices(CITIES, cum_weights=CITY_CUM)[0]
    district = rng.choice(city.districts)
    head, head_py = rng.choice(BRAND_HEAD)
    tail, tail_py = rng.choice(BRAND_TAIL)
    if tail == head:
        tail, tail_py = "远", "yuan"
    brand_py = head_py + tail_py
    ind_zh, ind_en, slug = rng.choice(INDUSTRIES)
    form = "股份有限公司" if rng.random() < 0.15 else "有限公司"
    personnel = _effective_personnel(rng)
    address = _cn_address(rng, city, district)
    region = district[0]
    client = {
        "legal_name": f"{city.zh}{head}{tail}{ind_zh}{form}",
        "english_name": f"{city.en} {brand_py} {ind_en} Co., Ltd.",
        "registration_id": make_uscc(serial, region),
        "country": "CN",
        "city": city.zh,
        "address": address,
        "effective_personnel": personnel,
        "notes": DEMO_NOTE,
    }
    sites = []
    central = personnel
    if personnel >= 40 and rng.random() < 0.3:
        others = rng.sample([c for c in CITIES if c is not city], rng.choice((1, 1, 1, 2, 2, 3)))
        for other in others:
            share = max(1, round(personnel * rng.uniform(0.05, 0.25)))
            if central - share < 1:
                break
            central -= share
            kind = rng.choice(SITE_KINDS)
            sites.append(
                {
                    "name": f"{other.zh}{kind}",
                    "is_central": False,
                    "activities": SITE_ACTIVITIES[kind],
                    "city": other.zh,
                    "address": _cn_address(rng, other),
                    "personnel": share,
                }
            )
    sites.insert(
        0,
        {
            "name": "总部",
            "is_central": True,
            "city": city.zh,
            "address": address,
            "personnel": central,
        },
    )
    surname, surname_py = rng.choice(SURNAMES)
    given, given_py = rng.choice(GIVEN_NAMES)
    domain = f"{brand_py.lower()}-{slug}.{rng.choice(('com.cn', 'com', 'cn'))}"
    contact = {
        "name": surname + given,
        "role": rng.choice(CONTACT_ROLES),
        "phone": f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}",
        "email": f"{given_py}.{surname_py}@{domain}",
        "is_primary": True,
    }
    return Profile(client, sites, contact, "zh-hans", region=region, serial=serial)


def _foreign_profile(rng, serial: int) -> Profile:
    country = rng.choice(("HK", "SG", "DE"))
    spec = FOREIGN[country]
    city, dial = rng.choice(spec["cities"])
    word = rng.choice(spec["words"])
    industry = rng.choice(spec["industries"])
    name = f"{word} {industry} {rng.choice(spec['suffixes'])}"
    addresses = spec["addresses"]
    template = addresses[city] if isinstance(addresses, dict) else rng.choice(addresses)
    address = template.format(n=rng.randint(1, 99), f=rng.randint(2, 30))
    personnel = _effective_personnel(rng)
    person, mailbox = rng.choice(spec["people"])
    domain = f"{word.lower().replace(' ', '')}-{industry.split()[0].lower()}.{spec['domain']}"
    client = {
        "legal_name": name,
        "english_name": name,
        "registration_id": foreign_registration_id(country, serial, city),
        "country": country,
        "city": city,
        "address": address,
        "effective_personnel": personnel,
        "notes": DEMO_NOTE,
    }
    sites = [
        {
            "name": "Headquarters",
            "is_central": True,
            "city": city,
            "address": address,
            "personnel": personnel,
        }
    ]
    contact = {
        "name": person,
        "role": rng.choice(spec["roles"]),
        "phone": f"{dial} {rng.randint(2000, 9999)} {rng.randint(1000, 9999)}",
        "email": f"{mailbox}@{domain}",
        "is_primary": True,
    }
    return Profile(client, sites, contact, "en", serial=serial)


def profile_with_free_id(rng, serial: int) -> Profile:
    """``make_profile``, with the registration id moved to a higher serial in the rare case a
    hand-entered client already holds it."""
    profile = make_profile(rng, serial)
    dodge_collisions([profile])
    return profile


def dodge_collisions(profiles) -> None:
    """Give a fresh id to every profile whose registration id is already taken. The bumped
    serials live far above the counter (which follows client pks), so they stay unique."""
    pending = list(profiles)
    for attempt in range(1, 3):
        ids = [p.client["registration_id"] for p in pending]
        taken = set()
        for batch in batched(ids, 900):
            taken.update(
                Client.objects.filter(registration_id__in=batch).values_list(
                    "registration_id", flat=True
                )
            )
        pending = [p for p in pending if p.client["registration_id"] in taken]
        if not pending:
            return
        for p in pending:
            serial = p.serial + attempt * 300_000_000
            c = p.client
            c["registration_id"] = (
                make_uscc(serial, p.region)
                if c["country"] == "CN"
                else foreign_registration_id(c["country"], serial, c["city"])
            )
    raise RuntimeError("could not find free registration ids")


def batched(items, n):
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def pick_standard(rng, standards: dict) -> Standard:
    return standards[rng.choices(STANDARD_CODES, cum_weights=STANDARD_CUM)[0]]


def soa_version_for(standard: Standard, received) -> str:
    """The Statement of Applicability version an ISO/IEC 27001 applicant works to (empty for
    the other standards): from the application's date, so that the random draws stay as they
    were."""
    if not standard.requires_soa:
        return ""
    return f"V{1 + received.year % 2}.{received.month % 4}"


def scope_for(rng, standard: Standard, country: str) -> str:
    scope = rng.choice(SCOPES.get(standard.certificate_code, SCOPES["ITSM"]))
    return (scope.partition(" / ")[2] or scope) if country != "CN" else scope
