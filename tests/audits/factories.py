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
    areas=(33,),
    role=AuditRole.TEAM_LEADER,
    city="北京",
    valid_from=D(2020, 1, 1),
    valid_until=D(2030, 12, 31),
    declare_years=range(2020, 2031),
):
    """A qualified auditor (user with profile) for ``std`` and the IAF ``areas``."""
    kwargs = {"username": username} if username else {}
    profile = AuditorProfileFactory(user=UserFactory(role="Auditor", **kwargs), home_city=city)
    for code in areas:
        QualificationFactory(
            profile=profile,
            standard=std or standard(),
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


def leave(user, starts_on, ends_on, note="annual leave"):
    return Booking.objects.create(
        auditor=user, kind=BookingKind.LEAVE, starts_on=starts_on, ends_on=ends_on, note=note
    )


__all__ = ["ClientFactory", "make_auditor"]
