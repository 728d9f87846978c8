"""factory_boy factories. Clients get valid unified social credit codes."""

import datetime
import itertools

import factory
from django.contrib.auth.models import Group, User
from stdnum.cn import uscc

from clients.models import Application, ApplicationDocument, Client, Site, Standard, TechnicalArea

_serial = itertools.count(1)


def make_uscc(n: int) -> str:
    """A valid 18-character unified social credit code derived from ``n``: its organisation
    code (characters 9-17) carries its GB 11714 check character, the 18th GB 32100's."""
    from clients.validators import organisation_code_check_character

    org = f"{n % 10**8:08d}"
    body = f"91{110000 + n % 800000:06d}{org}{organisation_code_check_character(org)}"
    return body + uscc.calc_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    legal_name = factory.Sequence(lambda n: f"北京示例信息技术有限公司{n}")
    english_name = factory.Sequence(lambda n: f"Beijing Example IT Co., Ltd. {n}")
    registration_id = factory.LazyFunction(lambda: make_uscc(next(_serial)))
    country = "CN"
    city = "北京"
    address = "北京市海淀区中关村大街1号"
    effective_personnel = 120

    @factory.post_generation
    def central(self, create, extracted, **kwargs):
        if create:
            Site.objects.create(
                client=self,
                name="总部",
                is_central=True,
                city=self.city,
                address=self.address,
                personnel=self.effective_personnel,
            )

    @factory.post_generation
    def technical_areas(self, create, extracted, **kwargs):
        """The client's IAF codes: 33 (IT services) unless ``technical_areas=[codes]``."""
        if create:
            codes = (33,) if extracted is None else extracted
            self.technical_areas.set(TechnicalArea.objects.filter(code__in=codes))


def standard(code="ISO/IEC 20000-1") -> Standard:
    return Standard.objects.get(code=code)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete application: every intake condition holds, every document received."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    received_on = datetime.date(2024, 9, 1)
    scope = "信息技术运维服务 / IT operation and maintenance services"
    effective_personnel = 120
    system_operating_since = datetime.date(2024, 1, 1)
    internal_audit_on = datetime.date(2024, 6, 1)
    management_review_on = datetime.date(2024, 7, 1)
    no_penalty_declared = True
    legal_registration_checked = True

    @factory.post_generation
    def documents(self, create, extracted, **kwargs):
        """Pass documents=False to leave the checklist empty."""
        if not create or extracted is False:
            return
        for std in self.standards.all() or [standard()]:
            for doc in std.required_documents.all():
                ApplicationDocument.objects.get_or_create(
                    application=self,
                    required_document=doc,
                    defaults={"received_on": self.received_on},
                )


def dual_role_user(username="dual") -> User:
    """A user who is both an auditor and a decision maker (Rule 4: may not decide an audit
    they were on the team of)."""
    from tests.audits.factories import all_standards_auditor

    user = all_standards_auditor(username)  # qualified, so only Rule 4 refuses them
    user.groups.add(Group.objects.get(name="Decision maker"))
    return User.objects.get(pk=user.pk)  # fresh permission cache
