# ruff: noqa: RUF001 (the certificate's Chinese text uses full-width punctuation)
"""Every kind of certificate carries what ISO/IEC 17021-1 8.2.2 requires (issue 18, item 2),
read from the rendered PDF the way a reader gets it (poppler's pdftotext and pdfimages,
zxing-cpp for the QR code):

- the body's name and address, and its certification mark (an image); the accreditation and
  the accreditation body's mark only where allowed (CERTBODY ACCREDITATION set and the
  standard within it, Standard.accredited);
- the client's name and location; for a multi-site certificate every site with its address,
  its country (bilingual, django-countries) and its scope there (Site.activities);
- the scope, the standard with its edition, the number with its version;
- the effective date labelled by its event, the original certification date, the expiry date;
- the QR code and the verification URL;
- a revised version says which version it replaces, why and from when; the version it
  replaced is Superseded (a restored one too, not left Expired) and its PDF says 换发新证;
- ISO/IEC 27001: the Statement of Applicability version with the scope, and no decision that
  issues a certificate without it.

A mark configured but unreadable is a system check error naming the setting and the path, and
a clear message (not a server error) when a download meets it.
"""

import datetime
import re
from copy import deepcopy

import pytest
import zxingcpp
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings
from django.urls import reverse

from certificates import services as svc
from certificates.errors import CertificationError
from certificates.models import Certificate, CertificateStatus, Certification, State
from certificates.pdf import CertificateMarkError, render_certificate_pdf, verification_url
from certificates.rules import MSG_SOA_VERSION_MISSING
from clients.models import Site, Standard
from tests import lifecycle as lc
from tests.certificates.test_pdf import _poppler, image, page_count, text
from tests.factories import ClientFactory, standard

D = datetime.date
pytestmark = pytest.mark.django_db

BODY = "华信认证有限公司 Huaxin Certification Co., Ltd."
ADDRESS = "北京市朝阳区认证路8号 100020 No. 8 Certification Road, Chaoyang, Beijing"
ACCREDITED = "CNAS C123-M"


def certbody(**changes):
    """override_settings for a few CERTBODY entries, the others unchanged."""
    value = deepcopy(settings.CERTBODY)
    value.update(changes)
    return override_settings(CERTBODY=value)


def images(tmp_path, pdf: bytes) -> list[dict]:
    """The images drawn on the page (pdfimages -list), without the transparency masks of PNGs
    (listed as "smask" rows of their own)."""
    out = _poppler(tmp_path, "pdfimages", pdf, "-list").decode().splitlines()[2:]
    rows = [line.split() for line in out if line.strip()]
    return [{"width": int(r[3]), "height": int(r[4])} for r in rows if r[2] == "image"]


def flat(page: str) -> str:
    """The text without any whitespace: a value may wrap at any character."""
    return "".join(page.split())


def check_common(tmp_path, certificate, pdf, *, accredited: bool):
    """What every certificate carries (ISO/IEC 17021-1 8.2.2, shared/domain.md)."""
    page = text(tmp_path, pdf)
    holder = certificate.holder_snapshot()
    assert page_count(tmp_path, pdf) == 1
    # The body: name, address, certification mark; accreditation only where allowed.
    assert BODY in page
    assert f"地址 Address: {ADDRESS}" in page
    marks = images(tmp_path, pdf)
    assert len(marks) == (2 if accredited else 1), marks
    assert ("认可 Accreditation: " + ACCREDITED in page) is accredited
    # The client: name and location (address, city, country both ways).
    assert holder["legal_name"] in page
    assert f"{holder['address']}，{holder['city']}，中国 China" in page
    # Scope, standard with edition, the number with its version.
    assert flat(certificate.scope) in flat(page)
    assert f"{certificate.standard.code}:{certificate.standard.edition}" in page
    assert f"证书编号 Certificate No.: {certificate.full_number}" in page
    # The dates: expiry and original certification date.
    expiry = certificate.expiry_date
    assert f"有效期至 Expiry date {expiry.isoformat()}（{expiry.year}年{expiry.month}月" in page
    original = certificate.original_certification_date.isoformat()
    assert f"初次认证日期 Original certification date {original}" in page
    # The QR code and the address it gives.
    url = verification_url(certificate)
    assert url.endswith(f"/verify/{certificate.full_number}/")
    assert url in page
    decoded = zxingcpp.read_barcodes(image(tmp_path, pdf, 150))
    assert [r.text for r in decoded] == [url]
    return page


def effective(label_zh, label_en, day) -> str:
    return f"颁证日期（{label_zh}）Effective date ({label_en}) {day.isoformat()}"


def replaces(event_zh, event_en, old, day) -> str:
    return (
        f"本证书因{event_zh}换发新证，替换原证书 {old.full_number}，自 {day.isoformat()} 起生效。"
        f" This certificate replaces {old.full_number} following {event_en}, effective "
        f"{day.isoformat()}."
    )


def check_superseded(tmp_path, old, new):
    """The version replaced: Superseded, and its PDF says so, naming the new one."""
    old.refresh_from_db()
    assert old.status == CertificateStatus.SUPERSEDED
    page = text(tmp_path, render_certificate_pdf(old))
    assert f"已换发新证 SUPERSEDED — replaced by {new.full_number}" in page
    assert f"本证书版本已换发新证 {new.full_number}，不再有效。" in page
    assert "取代" not in page and "替代" not in page  # the glossary's word only


@pytest.fixture(autouse=True)
def body():
    """The body as the tests print it; its marks are the demo's (test settings)."""
    assert settings.CERTBODY["CERTIFICATION_MARK"].endswith("demo/marks/certification-mark.png")
    with certbody(BODY_NAME=BODY, BODY_ADDRESS=ADDRESS, ACCREDITATION=ACCREDITED):
        yield


# -- single-site, initial certification -------------------------------------------------------
def test_initial_single_site(people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = cert.certificates.get(version=1)
    pdf = render_certificate_pdf(v1)
    page = check_common(tmp_path, v1, pdf, accredited=True)
    assert effective("初次认证", "initial certification", D(2025, 1, 15)) in page
    assert "ISO/IEC 20000-1:2018" in page
    assert "Sites covered" not in page  # one site: the client's address is its location
    assert "Replaces" not in page and "换发新证" not in page
    assert "SoA version" not in page  # not an ISO/IEC 27001 certificate


# -- the accreditation mark only where allowed ------------------------------------------------
def test_accreditation_mark_only_where_the_accreditation_covers_the_standard(people, tmp_path):
    """The accreditation and its mark are printed where the accreditation covers the standard
    when the version is issued; a later change reaches the versions issued after it, while a
    re-rendered version keeps what it carried (versions recorded without it: today's)."""
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = cert.certificates.get(version=1)
    check_common(tmp_path, v1, render_certificate_pdf(v1), accredited=True)

    Standard.objects.filter(pk=v1.standard_id).update(accredited=False)
    v1 = Certificate.objects.get(pk=v1.pk)
    check_common(tmp_path, v1, render_certificate_pdf(v1), accredited=True)  # as issued
    v2 = lc.extend_scope(
        certification=cert,
        scope="信息技术运维服务及云平台运营 / IT operations and cloud platform operations",
        reason="Extension audited",
        by=people.decider,
        on=D(2025, 3, 1),
    )
    check_common(tmp_path, v2, render_certificate_pdf(v2), accredited=False)
    Certificate.objects.filter(pk=v1.pk).update(holder={})  # recorded before the snapshot
    old = Certificate.objects.get(pk=v1.pk)
    assert len(images(tmp_path, render_certificate_pdf(old))) == 1  # today's: not accredited

    Standard.objects.filter(pk=v1.standard_id).update(accredited=True)
    with certbody(ACCREDITATION=""):  # the body holds no accreditation when it issues
        unaccredited = lc.certified(people, decided_on=D(2025, 9, 15))
    plain = unaccredited.certificates.get(version=1)
    check_common(tmp_path, plain, render_certificate_pdf(plain), accredited=False)

    v1 = Certificate.objects.get(pk=v1.pk)
    Certificate.objects.filter(pk=v1.pk).update(holder=v2.holder | {"accreditation": ACCREDITED})
    v1 = Certificate.objects.get(pk=v1.pk)
    with certbody(ACCREDITATION_MARK=""):  # accredited, but no mark configured: text only
        page = text(tmp_path, render_certificate_pdf(v1))
        assert f"认可 Accreditation: {ACCREDITED}" in page
        assert len(images(tmp_path, render_certificate_pdf(v1))) == 1
    with certbody(CERTIFICATION_MARK="", ACCREDITATION_MARK=""):
        assert images(tmp_path, render_certificate_pdf(v1)) == []


# -- multi-site: every site with its address, country and scope --------------------------------
def test_multi_site_sites_with_country_and_scope(people, tmp_path):
    client = ClientFactory(legal_name="广州多场所科技有限公司")
    central = client.sites.get(is_central=True)
    shanghai = Site.objects.create(
        client=client,
        name="上海数据中心",
        city="上海",
        address="上海市浦东新区世纪大道100号",
        activities="数据中心基础设施运维 / Operation of data centre infrastructure",
    )
    munich = Site.objects.create(
        client=client,
        name="Munich office",
        city="München",
        address="Leopoldstraße 1",
        country="DE",
        activities="IT service desk for European customers",
    )
    cert = lc.certified(people, client=client, sites=[central, shanghai, munich])
    v1 = cert.certificates.get(version=1)
    # Recorded at issue: each site's country and activities.
    recorded = {site["name"]: site for site in v1.holder["sites"]}
    assert recorded["Munich office"]["country"] == "DE"
    assert recorded["上海数据中心"]["country"] == "CN"
    assert recorded["总部"]["activities"] == ""
    assert recorded["上海数据中心"]["activities"] == shanghai.activities

    pdf = render_certificate_pdf(v1)
    page = check_common(tmp_path, v1, pdf, accredited=True)
    assert "Sites covered by this certificate (3)" in page
    assert "该场所的认证范围 Scope at this site" in page
    assert f"{central.address}，{central.city}，中国 China" in page
    assert "上海市浦东新区世纪大道100号，上海，中国 China" in page
    assert "Leopoldstraße 1，München，德国 Germany" in page
    assert "Operation of data centre infrastructure" in page
    assert "IT service desk for European customers" in page
    # The central function has no activities of its own: the whole scope.
    row = page[page.index(central.name) : page.index(shanghai.name)]
    assert "全部认证范围 The whole scope" in row

    # A version recorded before sites carried a country and activities still renders: the
    # holder's country, the whole scope.
    old = deepcopy(v1.holder)
    for site in old["sites"]:
        del site["country"], site["activities"]
    Certificate.objects.filter(pk=v1.pk).update(holder=old)
    page = text(tmp_path, render_certificate_pdf(Certificate.objects.get(pk=v1.pk)))
    assert "Leopoldstraße 1，München，中国 China" in page
    assert page.count("全部认证范围 The whole scope") == 3


# -- revised versions: recertification, scope extension and reduction, restoration -----------
def test_recertified_version_replaces_the_earlier_one(people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    lc.recert_audit(cert, people, start=D(2027, 10, 4))
    v2 = svc.certification_recertify(certification=cert, by=people.decider, on=D(2027, 11, 1))
    v1 = cert.certificates.get(version=1)
    assert v2.version == 2

    page = check_common(tmp_path, v2, render_certificate_pdf(v2), accredited=True)
    assert effective("再认证", "recertification", D(2027, 11, 1)) in page
    assert flat(replaces("再认证", "recertification", v1, D(2027, 11, 1))) in flat(page)
    assert "初次认证日期 Original certification date 2025-01-15" in page
    check_superseded(tmp_path, v1, v2)


def test_scope_extension_version(people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v2 = lc.extend_scope(
        certification=cert,
        scope="信息技术运维服务及云平台运营 / IT operations and cloud platform operations",
        reason="Extension audited",
        by=people.decider,
        on=D(2025, 3, 1),
    )
    v1 = cert.certificates.get(version=1)
    page = check_common(tmp_path, v2, render_certificate_pdf(v2), accredited=True)
    assert effective("扩大认证范围", "scope extension", D(2025, 3, 1)) in page
    assert flat(replaces("扩大认证范围", "scope extension", v1, D(2025, 3, 1))) in flat(page)
    check_superseded(tmp_path, v1, v2)


def test_scope_reduction_version(people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v2 = svc.certification_reduce_scope(
        certification=cert,
        scope="信息技术运维服务 / IT operations",
        reason="The client gave up part of its services",
        by=people.decider,
        on=D(2025, 4, 1),
    )
    v1 = cert.certificates.get(version=1)
    page = check_common(tmp_path, v2, render_certificate_pdf(v2), accredited=True)
    assert effective("缩小认证范围", "scope reduction", D(2025, 4, 1)) in page
    assert flat(replaces("缩小认证范围", "scope reduction", v1, D(2025, 4, 1))) in flat(page)
    check_superseded(tmp_path, v1, v2)


def test_restored_version_supersedes_the_expired_one(people, tmp_path):
    cert = lc.build(people, State.EXPIRED)  # expiry 2028-01-14, expired 2028-01-15
    v1 = cert.certificates.get(version=1)
    assert v1.status == CertificateStatus.EXPIRED
    lc.recert_audit(cert, people, start=D(2028, 6, 1))
    v2 = svc.certification_restore_after_expiry(
        certification=cert, by=people.decider, on=D(2028, 7, 14)
    )
    page = check_common(tmp_path, v2, render_certificate_pdf(v2), accredited=True)
    assert effective("恢复认证", "restoration", D(2028, 7, 14)) in page
    assert flat(replaces("恢复认证", "restoration", v1, D(2028, 7, 14))) in flat(page)
    assert "未获认证期间 Not certified (restored after expiry)" in page
    # Replaced by the restoration: Superseded, not left Expired; its PDF says so.
    check_superseded(tmp_path, v1, v2)


def test_a_grant_after_an_expiry_without_restoration_replaces_nothing(people, tmp_path):
    """An expired version not restored ended on its own: a later grant (after a new stage 2)
    starts anew, labelled as an initial certification, and leaves the old version Expired."""
    cert = lc.build(people, State.EXPIRED)
    v1 = cert.certificates.get(version=1)
    v2 = svc.certificate_build(
        cert, decision=v1.decision, on=v1.effective_date, version=2, holder=v1.holder
    )
    v2.save()
    v1.refresh_from_db()
    assert v1.status == CertificateStatus.EXPIRED
    page = text(tmp_path, render_certificate_pdf(v2))
    assert effective("初次认证", "initial certification", v1.effective_date) in page
    assert "Replaces" not in page


# -- ISO/IEC 27001: the Statement of Applicability version -------------------------------------
def test_27001_prints_the_soa_version_and_needs_it(people, tmp_path):
    isms = standard("ISO/IEC 27001")
    assert isms.requires_soa
    cert = lc.apply(people, std=isms, received_on=D(2024, 9, 15))
    cert = lc.accept(cert, people, D(2024, 9, 25))
    cert, _ = lc.stage1(cert, people, start=D(2024, 10, 28))
    cert, _, _ = lc.stage2(cert, people, start=D(2024, 12, 16))

    # No grant without the SoA version; the reason says what to do.
    cert.rule_context(on=D(2025, 1, 15), by=people.decider)
    assert str(MSG_SOA_VERSION_MISSING % {"standard": isms}) in cert.blockers("grant")
    with pytest.raises(CertificationError) as refused:
        svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 1, 15))
    assert "Statement of Applicability" in " ".join(refused.value.messages)

    cert = svc.certification_record_soa_version(
        certification=Certification.objects.get(pk=cert.pk), soa_version=" V2.1 ", by=people.staff
    )
    assert cert.soa_version == "V2.1"
    v1 = svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 1, 15))
    assert v1.soa_version == "V2.1"  # recorded with the version
    page = check_common(tmp_path, v1, render_certificate_pdf(v1), accredited=True)
    assert "ISO/IEC 27001:2022" in page
    assert "认证范围 Scope of certification" in page
    assert "适用性声明版本 SoA version: V2.1" in page
    assert page.index("Scope of certification") < page.index("SoA version: V2.1")

    # A new SoA version: the version issued keeps the one it printed; a scope change without
    # one is refused, with one it prints the new one.
    cert = svc.certification_record_soa_version(
        certification=Certification.objects.get(pk=cert.pk), soa_version="", by=people.staff
    )
    with pytest.raises(CertificationError):
        svc.certification_reduce_scope(
            certification=cert, scope="数据处理", reason="r", by=people.decider, on=D(2025, 4, 1)
        )
    cert = svc.certification_record_soa_version(
        certification=Certification.objects.get(pk=cert.pk), soa_version="V3.0", by=people.staff
    )
    v2 = svc.certification_reduce_scope(
        certification=cert, scope="数据处理", reason="r", by=people.decider, on=D(2025, 4, 1)
    )
    assert "适用性声明版本 SoA version: V3.0" in text(tmp_path, render_certificate_pdf(v2))
    v1.refresh_from_db()
    assert "适用性声明版本 SoA version: V2.1" in text(tmp_path, render_certificate_pdf(v1))


# -- a mark that cannot be printed ------------------------------------------------------------
def test_the_demo_marks_pass_the_check():
    assert [m for m in run_checks() if m.id == "certificates.E001"] == []


@pytest.mark.parametrize("kind", ["missing", "not an image", "gif"])
def test_an_unreadable_mark_is_a_startup_error_naming_setting_and_path(tmp_path, kind):
    path = tmp_path / "mark.png"
    if kind == "not an image":
        path.write_text("not a picture")
    elif kind == "gif":
        from PIL import Image

        Image.new("RGB", (4, 4)).save(path, format="GIF")
    with certbody(ACCREDITATION_MARK=str(path)):
        errors = [m for m in run_checks() if m.id == "certificates.E001"]
    assert len(errors) == 1
    message = errors[0].msg
    assert "CERTBODY['ACCREDITATION_MARK']" in message and "CERTBODY_ACCREDITATION_MARK" in message
    assert str(path) in message
    expected = {
        "missing": "there is no such file",
        "not an image": "cannot be read as an image",
        "gif": "it is a GIF image; use a PNG or JPEG file",
    }
    assert expected[kind] in message


def test_a_mark_gone_since_the_start_is_a_message_not_a_server_error(client, people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = cert.certificates.get(version=1)
    gone = str(tmp_path / "gone.png")
    client.force_login(people.staff)
    with certbody(CERTIFICATION_MARK=gone):
        with pytest.raises(CertificateMarkError, match=re.escape(gone)):
            render_certificate_pdf(v1)
        response = client.get(reverse("workspace:certificate_pdf", args=[v1.pk]), follow=True)
        assert response.status_code == 200
        assert "CERTBODY_CERTIFICATION_MARK" in response.content.decode()
        assert gone in response.content.decode()
        response = client.get(
            reverse("admin:certificates_certificate_pdf", args=[v1.pk]), follow=True
        )
        assert response.status_code == 200
        assert "CERTBODY_CERTIFICATION_MARK" in response.content.decode()
    v1.refresh_from_db()
    assert not v1.pdf  # nothing stored
