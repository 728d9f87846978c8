"""Factories for auditors: a user in the Auditor group with a profile and qualifications."""

import datetime

import factory

from audits.models import (
    AuditorProfile,
    AuditRole,
    Booking,
    BookingKind,
    ImpartialityDeclaration,
    Qualification,
    RelationshipDeclaration,
    RelationshipKind,
)
from clients.models import TechnicalArea
from tests.factories import ClientFactory, UserFactory, standard

D = datetime.date


def area(code=33) -> TechnicalArea:
    return TechnicalArea.objects.get(code=code)


class AuditorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditorProfile

    user = factory.SubFactory(UserFactory, role="Auditor")
    home_city = "北京"
    languages = "zh-hans,en"


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    profile = factory.SubFactory(AuditorProfileFactory)
    standard = factory.LazyFunction(standard)
    technical_area = factory.LazyFunction(area)
    role = AuditRole.TEAM_LEADER
    evidence = "CCAA registered ITSM auditor; witnessed audit 2023"
    valid_from = D(2020, 1, 1)
    valid_until = D(2030, 12, 31)


def make_auditor(
    username=None,
    *,
    std=None,
    standards=None,
    areas=(33,),
    role=AuditRole.TEAM_LEADER,
    city="北京",
    valid_from=D(2020, 1, 1),
    valid_until=D(2030, 12, 31),
    declare_years=range(2020, 2031),
):
    """A qualified auditor (user with profile) for ``std`` (or each of ``standards``; default
    ISO/IEC 20000-1) and the IAF ``areas``, with impartiality declarations for
    ``declare_years``."""
    kwargs = {"username": username} if username else {}
    profile = AuditorProfileFactory(user=UserFactory(role="Auditor", **kwargs), home_city=city)
    for each in standards if standards is not None else [std or standard()]:
        for code in areas:
            QualificationFactory(
                profile=profile,
                standard=each,
                technical_area=area(code),
                role=role,
                valid_from=valid_from,
                valid_until=valid_until,
            )
    for year in declare_years:
        ImpartialityDeclaration.objects.create(profile=profile, year=year, signed_on=D(year, 1, 5))
    return profile.user


def declare_relationship(user, client, *, kind=RelationshipKind.CONSULTANCY, started_on, ended_on):
    return RelationshipDeclaration.objects.create(
        profile=user.auditor_profile,
        client=client,
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        declared_on=started_on,
    )


def all_standards_auditor(username, **kwargs):
    """A team leader qualified for every standard (IAF 33) until 2099, as the lifecycle tests
    use (their walks run for many years)."""
    from clients.models import Standard

    kwargs.setdefault("valid_until", D(2099, 12, 31))
    return make_auditor(username, standards=list(Standard.objects.all()), **kwargs)


def leave(user, starts_on, ends_on, note="annual leave"):
    return Booking.objects.create(
        auditor=user, kind=BookingKind.LEAVE, starts_on=starts_on, ends_on=ends_on, note=note
    )


__all__ = ["ClientFactory", "all_standards_auditor", "make_auditor"]


def calculation(application, *, on=D(2024, 9, 5), std=None, **figures):
    """An audit-time calculation written by hand (the arithmetic is tested elsewhere):
    results[str(standard.pk)] with Decimal strings, as the audit-time service stores them."""
    from audits.models import AuditTimeCalculation

    values = {
        "initial": "6.0",
        "stage1": "2.0",
        "stage2": "4.0",
        "onsite_min": "3.5",
        "surveillance": "2.0",
        "surveillance_onsite_min": "1.5",
        "recertification": "4.0",
        "recertification_onsite_min": "3.0",
    }
    values.update(figures)
    std = std or standard()
    return AuditTimeCalculation.objects.create(
        application=application,
        calculated_on=on,
        results={str(std.pk): values},
        initial_days=values["initial"],
        stage1_days=values["stage1"],
        stage2_days=values["stage2"],
        onsite_min_days=values["onsite_min"],
        surveillance_days=values["surveillance"],
        recertification_days=values["recertification"],
    )
