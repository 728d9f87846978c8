"""Certificate PDFs (issue 4, "Certificate documents"): generated after commit for every new
version, the superseded one re-rendered with its mark; real Chinese glyphs from the embedded
font; a QR code that decodes to the public verification URL; every site in scope; the staff
download, the admin action and the management command.

The PDFs are checked the way a reader sees them: poppler's pdftotext / pdftoppm / pdffonts
(Debian poppler-utils) and zxing-cpp for the QR code.
"""

import datetime
import io
import os
import re
import shutil
import subprocess
from html import unescape

import pytest
import zxingcpp
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from PIL import Image, ImageChops

from certificates import services as svc
from certificates.admin.certificates import CertificateAdmin
from certificates.documents import generate_certificate_pdf
from certificates.models import Certificate, CertificateStatus, State
from certificates.pdf import render_certificate_pdf, verification_url
from clients.models import Site
from tests import lifecycle as lc
from tests.factories import ClientFactory, UserFactory

D = datetime.date
pytestmark = pytest.mark.django_db


# -- reading a PDF like a person does -------------------------------------------------------------
def _poppler(tmp_path, tool, pdf: bytes, *args) -> bytes:
    """Run a poppler tool on ``pdf``; what it writes to stdout. Without poppler-utils the test
    skips on a laptop and fails under CI (which installs it)."""
    if shutil.which(tool) is None:
        message = f"{tool} is not installed (apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    to_stdout = ["-"] if tool == "pdftotext" else []  # the others print to stdout anyway
    return subprocess.run(
        [tool, *args, str(path), *to_stdout], check=True, capture_output=True
    ).stdout


def text(tmp_path, pdf: bytes, *args) -> str:
    """The PDF's text with runs of whitespace collapsed (line breaks of wrapped text too)."""
    out = _poppler(tmp_path, "pdftotext", pdf, *args).decode()
    return " ".join(out.split())


def image(tmp_path, pdf: bytes, dpi: int) -> Image.Image:
    """Page 1 as an RGB image; at 72 dpi one pixel is one PDF point."""
    png = _poppler(tmp_path, "pdftoppm", pdf, "-r", str(dpi), "-png", "-singlefile")
    return Image.open(io.BytesIO(png)).convert("RGB")


def word_boxes(tmp_path, pdf: bytes) -> list[tuple[str, tuple[float, ...]]]:
    """(word, (xMin, yMin, xMax, yMax)) in points from the top left, page 1."""
    html = _poppler(tmp_path, "pdftotext", pdf, "-bbox", "-f", "1", "-l", "1").decode()
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [(unescape(m[4]), tuple(float(v) for v in m[:4])) for m in re.findall(pattern, html)]


def box_of(tmp_path, pdf: bytes, phrase: str) -> tuple[float, ...]:
    """The union of the boxes of the words that make up ``phrase``."""
    boxes = [box for word, box in word_boxes(tmp_path, pdf) if word and word in phrase]
    assert boxes, f"{phrase!r} not found on page 1"
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def page_count(tmp_path, pdf: bytes) -> int:
    info = _poppler(tmp_path, "pdfinfo", pdf)
    return int(re.search(rb"Pages:\s+(\d+)", info)[1])


def stored(certificate) -> bytes:
    certificate.refresh_from_db()
    assert certificate.pdf, f"{certificate} has no stored PDF"
    with certificate.pdf.open("rb") as fh:
        return fh.read()


def _iso(day) -> str:
    return day.isoformat()


def first_certificate(cert) -> Certificate:
    return cert.certificates.get(version=1)


# -- (a) generated after commit; the superseded version is re-rendered with its mark -----------
def test_issuing_stores_pdfs_and_marks_the_superseded_version(
    people, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = first_certificate(cert)
    assert v1.pdf.name.endswith(f"/{v1.full_number}.pdf")
    assert v1.pdf_generated_at is not None
    before = text(tmp_path, stored(v1))
    assert v1.full_number in before
    assert "SUPERSEDED" not in before

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        v2 = lc.extend_scope(
            certification=cert,
            scope="信息技术运维服务及云平台运营 / IT operations and cloud platform operations",
            reason="Extension audited",
            by=people.decider,
            on=D(2025, 3, 1),
        )
    assert len(callbacks) == 2  # the new version and the one it replaced

    v1.refresh_from_db()
    assert v1.status == CertificateStatus.SUPERSEDED
    old = text(tmp_path, stored(v1))
    assert "已换发新证 SUPERSEDED" in old  # the glossary: 换发新证
    assert f"replaced by {v2.full_number}" in old
    assert v1.pdf.name.endswith(f"/{v1.full_number}.pdf")  # same name, new content

    new = text(tmp_path, stored(v2))
    assert v2.full_number in new
    assert "IT operations and cloud platform operations" in new
    assert "SUPERSEDED" not in new
    # The superseded version still points at its own page, watermark or not.
    decoded = zxingcpp.read_barcodes(image(tmp_path, stored(v1), 150))
    assert [r.text for r in decoded] == [verification_url(v1)]


def test_generation_is_idempotent(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = first_certificate(cert)
    assert not v1.pdf  # the callbacks of this test's transaction never ran
    assert generate_certificate_pdf(v1.pk) is True
    v1.refresh_from_db()
    name, generated_at, content = v1.pdf.name, v1.pdf_generated_at, stored(v1)
    assert generate_certificate_pdf(v1.pk) is False  # same bytes: nothing written
    v1.refresh_from_db()
    assert (v1.pdf.name, v1.pdf_generated_at, stored(v1)) == (name, generated_at, content)
    assert generate_certificate_pdf(10**9) is False  # gone (e.g. rolled back): no error


def test_a_version_keeps_printing_the_holder_it_certified(people, tmp_path):
    """Renamed and moved after version 1: version 1 (re-rendered superseded) still shows the
    name and address it certified; version 2 shows the new ones."""
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    client = cert.client
    old_name, old_address = client.legal_name, client.address
    client.legal_name = "北京新名称信息技术有限公司"
    client.address = "北京市朝阳区建国路88号"
    client.save()
    v2 = lc.extend_scope(
        certification=cert,
        scope="新范围 / new scope",
        reason="r",
        by=people.decider,
        on=D(2025, 3, 1),
    )
    v1 = first_certificate(cert)
    old = text(tmp_path, render_certificate_pdf(v1))
    assert old_name in old and old_address in old
    assert "北京新名称信息技术有限公司" not in old
    new = text(tmp_path, render_certificate_pdf(v2))
    assert "北京新名称信息技术有限公司" in new and "北京市朝阳区建国路88号" in new


# -- (b) Chinese renders with real glyphs from the embedded font -------------------------------
def test_chinese_text_renders_with_embedded_glyphs(people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    client = cert.client
    names = ["北京示例信息技术有限公司", "上海样本数据服务有限公司"]  # same length, other glyphs
    pdfs = []
    for name in names:
        client.legal_name = name
        client.save(update_fields=["legal_name"])
        Certificate.objects.filter(certification=cert).update(holder={})  # print current data
        pdfs.append(render_certificate_pdf(first_certificate(cert)))

    for name, pdf in zip(names, pdfs, strict=True):
        assert name in text(tmp_path, pdf)
    box = box_of(tmp_path, pdfs[0], names[0])
    assert box == box_of(tmp_path, pdfs[1], names[1])  # same place on both

    first, second = (image(tmp_path, pdf, 72) for pdf in pdfs)
    diff = ImageChops.difference(first, second).getbbox()
    assert diff is not None, "identical renders: the Chinese name came out as boxes or blank"
    x0, y0, x1, y1 = box
    # Only the name differs, and only where it is printed.
    assert x0 - 2 <= diff[0] and y0 - 2 <= diff[1] and diff[2] <= x1 + 2 and diff[3] <= y1 + 2
    name_area = first.crop((int(x0), int(y0), int(x1) + 1, int(y1) + 1)).convert("L")
    assert name_area.getextrema()[0] < 100  # dark ink, not an empty area

    fonts = _poppler(tmp_path, "pdffonts", pdfs[0]).decode().splitlines()[2:]
    used = [line for line in fonts if not line.startswith("Helvetica ")]  # reportlab's unused
    assert used and all("WenQuanYiMicroHei" in line for line in used), fonts
    for line in used:
        emb = line.split()[-5]  # columns: ... emb sub uni object ID
        assert emb == "yes", line


def test_labels_do_not_follow_the_active_language(people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = first_certificate(cert)
    english = render_certificate_pdf(v1)
    with translation.override("zh-hans"):
        chinese = render_certificate_pdf(v1)
        url = verification_url(v1)
    assert english == chinese
    assert "证书编号 Certificate No." in text(tmp_path, english)
    assert "/zh-hans/" not in url


# -- (c) the QR code is the public verification URL ---------------------------------------------
@override_settings(
    CERTBODY={
        **__import__("django.conf").conf.settings.CERTBODY,
        "PUBLIC_BASE_URL": "https://verify.example.cn",
        "BODY_NAME": "华信认证有限公司 Huaxin Certification Co., Ltd.",
        "ACCREDITATION": "CNAS C123-M",
    }
)
def test_qr_code_decodes_to_the_verification_url(people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = first_certificate(cert)
    url = verification_url(v1)
    assert url == "https://verify.example.cn" + reverse(
        "public:certificate", kwargs={"number": v1.full_number}
    )
    assert url.endswith(f"/verify/{v1.full_number}/")
    pdf = render_certificate_pdf(v1)

    decoded = zxingcpp.read_barcodes(image(tmp_path, pdf, 150))
    assert [(r.format.name, r.text) for r in decoded] == [("QRCode", url)]
    printed = text(tmp_path, pdf)
    assert url in printed
    assert "华信认证有限公司 Huaxin Certification Co., Ltd." in printed
    assert "CNAS C123-M" in printed
    assert "ISO/IEC 20000-1:2018" in printed
    assert "2025-01-15" in printed and "2028-01-14" in printed and "2025年1月15日" in printed


# -- (d) every site in scope; a long scope wraps and stays on the page ---------------------------
def test_multi_site_and_long_scope(people, tmp_path):
    client = ClientFactory(legal_name="广州多场所科技有限公司")
    shanghai = Site.objects.create(
        client=client, name="上海分公司", city="上海", address="上海市浦东新区世纪大道100号"
    )
    shenzhen = Site.objects.create(
        client=client, name="深圳数据中心", city="深圳", address="深圳市南山区科技园南区8栋"
    )
    chengdu = Site.objects.create(  # the client's, but not in this scope
        client=client, name="成都研发中心", city="成都", address="成都市高新区天府大道999号"
    )
    central = client.sites.get(is_central=True)
    scope = (
        "为金融、政务和制造业客户提供信息技术运维服务、数据中心托管服务、云计算平台运营服务、"
        "网络与安全运维服务及相关的技术支持服务 / Provision of IT operation and maintenance "
        "services, data centre hosting, cloud platform operations, network and security "
        "operations and related technical support services to financial, government and "
        "manufacturing customers; "
    ) * 4 + "including disaster recovery drills for Shenzhen customers"
    cert = lc.certified(people, client=client, sites=[central, shanghai, shenzhen], scope=scope)
    v1 = first_certificate(cert)
    pdf = render_certificate_pdf(v1)

    assert page_count(tmp_path, pdf) == 1
    page = text(tmp_path, pdf)
    for site in (central, shanghai, shenzhen):
        assert site.name in page
        assert site.address in page
    assert "中心职能 Central function" in page
    assert chengdu.name not in page
    assert page.index(central.name) < page.index(shanghai.name)  # central function first
    assert "Sites covered by this certificate (3)" in page
    assert "including disaster recovery drills for Shenzhen customers" in page
    # Wrapped inside the page's margins, not run off its edge.
    layout = _poppler(tmp_path, "pdftotext", pdf, "-layout").decode()
    assert len([line for line in layout.splitlines() if "Provision of IT" in line]) >= 3
    width = image(tmp_path, pdf, 72).width
    for word, (x0, _y0, x1, _y1) in word_boxes(tmp_path, pdf):
        assert x0 > 0 and x1 < width - 40, word


def test_single_site_client_prints_no_site_list(people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    page = text(tmp_path, render_certificate_pdf(first_certificate(cert)))
    assert cert.client.address in page
    assert "Sites covered" not in page


def test_restoration_gap_is_printed(people, tmp_path):
    cert = lc.build(people, State.EXPIRED)  # expiry 2028-01-14, expired 2028-01-15
    lc.recert_audit(cert, people, start=D(2028, 6, 1))
    restored = svc.certification_restore_after_expiry(
        certification=cert, by=people.decider, on=D(2028, 7, 14)
    )
    assert (restored.gap_from, restored.gap_to) == (D(2028, 1, 15), D(2028, 7, 13))
    page = text(tmp_path, render_certificate_pdf(restored))
    assert "未获认证期间 Not certified" in page
    gap = "2028-01-15（2028年1月15日）–2028-07-13（2028年7月13日）"  # noqa: RUF001
    assert gap in "".join(page.split())  # the value may wrap
    assert f"初次认证日期 Original certification date {_iso(cert.original_certification_date)}" in (
        page
    )


# -- (e) staff download ---------------------------------------------------------------------------
def pdf_url(certificate):
    return reverse("admin:certificates_certificate_pdf", args=[certificate.pk])


def test_staff_download(client, people, tmp_path):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = first_certificate(cert)
    assert not v1.pdf
    client.force_login(people.staff)  # CB staff: certificates.view_certificate
    response = client.get(pdf_url(v1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'attachment; filename="{v1.full_number}.pdf"' == response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    assert body == stored(v1)  # rendered on the fly, and kept
    assert v1.full_number in text(tmp_path, body)


def test_download_refused_without_login_or_permission(client, people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    url = pdf_url(first_certificate(cert))
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    client.force_login(UserFactory(username="no_role"))  # staff, but no permission
    assert client.get(url).status_code == 403
    assert not first_certificate(cert).pdf  # nothing rendered for them


def test_admin_links_the_download_never_media(client, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cert = lc.certified(people, decided_on=D(2025, 1, 15))
        svc.certification_reduce_scope(
            certification=cert,
            scope="IT operations",
            reason="Reduced",
            by=people.decider,
            on=D(2025, 4, 1),
        )
    v1, v2 = cert.certificates.order_by("version")
    client.force_login(people.staff)
    pages = [
        client.get(reverse("admin:certificates_certificate_changelist")),
        client.get(reverse("admin:certificates_certificate_change", args=[v1.pk])),
        client.get(reverse("admin:certificates_certification_change", args=[cert.pk])),
    ]
    for response in pages:
        page = response.content.decode()
        assert response.status_code == 200
        assert pdf_url(v1) in page
        assert "/media/" not in page and ".pdf" not in page
    listing = pages[0].content.decode()
    assert pdf_url(v2) in listing
    assert "Superseded" in listing and "Current" in listing
    assert client.get(pdf_url(v1)).status_code == 200  # a superseded version stays retrievable


# -- (f) the admin action and the command ---------------------------------------------------------
def test_regenerate_action(client, people, tmp_path, monkeypatch):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    v1 = first_certificate(cert)
    changelist = reverse("admin:certificates_certificate_changelist")
    client.force_login(people.decider)  # may view, may not regenerate
    assert "regenerate_pdf" not in client.get(changelist).content.decode()

    client.force_login(people.staff)
    assert "regenerate_pdf" in client.get(changelist).content.decode()
    post = {"action": "regenerate_pdf", "_selected_action": [v1.pk]}
    response = client.post(changelist, post, follow=True)
    assert "Certificate PDFs regenerated: 1 (1 changed)." in response.content.decode()
    assert cert.client.legal_name in text(tmp_path, stored(v1))

    # A corrected record of what the version certified (a data fix, not a new version).
    Certificate.objects.filter(pk=v1.pk).update(
        holder={**v1.holder, "legal_name": "北京更名后信息技术有限公司"}
    )
    response = client.post(changelist, post, follow=True)
    assert "Certificate PDFs regenerated: 1 (1 changed)." in response.content.decode()
    assert "北京更名后信息技术有限公司" in text(tmp_path, stored(v1))
    response = client.post(changelist, post, follow=True)
    assert "Certificate PDFs regenerated: 1 (0 changed)." in response.content.decode()

    # Many selected: queued for the worker (run eagerly here) instead of in the request.
    monkeypatch.setattr(CertificateAdmin, "REGENERATE_IN_REQUEST_MAX", 0)
    v1.pdf.delete()  # gone from storage and from the row
    response = client.post(changelist, post, follow=True)
    assert "Certificate PDFs queued for regeneration: 1." in response.content.decode()
    assert "北京更名后信息技术有限公司" in text(tmp_path, stored(v1))


def test_generate_command(people):
    first = first_certificate(lc.certified(people, decided_on=D(2025, 1, 15)))
    second = first_certificate(lc.certified(people, decided_on=D(2025, 2, 15)))
    out = io.StringIO()
    call_command("generate_certificate_pdfs", "--missing-only", "--limit", "1", stdout=out)
    assert "Certificate PDFs rendered: 1 (1 written, 0 unchanged)." in out.getvalue()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.pdf and not second.pdf  # oldest first

    out = io.StringIO()
    call_command("generate_certificate_pdfs", "--missing-only", stdout=out)
    assert "Certificate PDFs rendered: 1 (1 written, 0 unchanged)." in out.getvalue()
    second.refresh_from_db()
    assert second.pdf

    out = io.StringIO()
    call_command("generate_certificate_pdfs", stdout=out)  # all again: nothing changed
    assert "Certificate PDFs rendered: 2 (0 written, 2 unchanged)." in out.getvalue()


def test_generation_retries_when_the_database_is_locked(people, monkeypatch):
    """SQLite's write lock held by another process: the task retries instead of failing."""
    from django.db import OperationalError

    from certificates import documents

    v1 = first_certificate(lc.certified(people, decided_on=D(2025, 1, 15)))
    real, calls = documents.certificate_store_pdf, []

    def locked_once(certificate):
        calls.append(certificate.pk)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(certificate)

    monkeypatch.setattr(documents, "certificate_store_pdf", locked_once)
    result = generate_certificate_pdf.apply(args=[v1.pk])
    assert result.successful() and result.result is True
    assert calls == [v1.pk, v1.pk]
    v1.refresh_from_db()
    assert v1.pdf


def test_a_broker_down_at_grant_logs_and_runs_the_other_after_commit_work(
    people, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """The PDF is queued after commit, robustly: a broker that is down is logged, the decision
    stays committed, and the callbacks after it still run (the sweep renders the PDF later:
    tests/test_hung_redis.py)."""
    cert = lc.pending(people)[0]

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(generate_certificate_pdf, "apply_async", broker_down)
    ran = []
    with django_capture_on_commit_callbacks(execute=True):
        svc.certification_grant(
            certification=cert, by=people.decider, on=datetime.date(2025, 1, 15)
        )
        from django.db import transaction

        transaction.on_commit(lambda: ran.append("later"))
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert ran == ["later"]
    assert "Could not queue certificates.documents.generate_certificate_pdf" in caplog.text
    assert "broker down" in caplog.text
