"""End to end in a real headless browser: Debian's chromium driven by Playwright.

A member of the public searches a company by name, opens its certificate page, switches to
Chinese, and follows the QR code printed on the generated PDF (decoded from the rendered page,
as a phone camera would) back to the same certificate.

Needs /usr/bin/chromium (apt `chromium`; `.ci/run` installs it) and poppler's pdftoppm. On a
laptop without them the test skips; under CI=true it fails instead (tests/conftest.py).
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.cache import cache

from certificates.documents import certificate_store_pdf
from certificates.pdf import verification_url
from tests import lifecycle as lc
from tests.factories import ClientFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the flush after a transactional test must not lose the groups and
    # standards that migrations create (later tests need them).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _need(tool: str) -> None:
    if shutil.which(tool) or os.path.exists(tool):
        return
    message = f"{tool} is not installed (apt-get install chromium poppler-utils)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _qr_url_from_pdf(pdf: bytes) -> str:
    import zxingcpp
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "certificate.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(source), f"{tmp}/page"],
            check=True,
        )
        (png,) = Path(tmp).glob("page*.png")
        codes = zxingcpp.read_barcodes(Image.open(png))
    assert len(codes) == 1, f"expected one QR code on the certificate, found {len(codes)}"
    return codes[0].text


@pytest.fixture
def certified(people, settings, live_server):
    settings.CERTBODY = {**settings.CERTBODY, "PUBLIC_BASE_URL": live_server.url}
    client = ClientFactory(
        legal_name="杭州云帆数据服务有限公司",
        english_name="Hangzhou Yunfan Data Services Co., Ltd.",
        city="杭州",
    )
    # Transactional test: the PDF is rendered after the grant's commit, as in production.
    cert = lc.certified(people, client=client)
    certificate = cert.certificates.get()
    if not certificate.pdf:  # the worker did not run (CELERY_TASK_ALWAYS_EAGER off)
        certificate_store_pdf(certificate)
    certificate.refresh_from_db()
    assert certificate.pdf
    return certificate


def test_search_open_switch_language_and_follow_the_qr_code(certified, live_server):
    _need(CHROMIUM)
    _need("pdftoppm")
    cache.clear()  # the public pages' rate limit counts per address
    certificate = certified
    with certificate.pdf.open("rb") as f:
        qr_url = _qr_url_from_pdf(f.read())
    assert qr_url == verification_url(certificate)
    assert qr_url.startswith(live_server.url + "/")

    # Playwright's sync API runs an event loop in this thread; the database work is done above.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.goto(f"{live_server.url}/verify/")
            page.locator("input[name=q]").fill("云帆数据")
            page.locator("form.search button").click()
            result = page.locator("section.card h2 a")
            expect(result).to_have_count(1)
            expect(result).to_contain_text("杭州云帆数据服务有限公司")
            result.click()

            page.wait_for_url(f"**/verify/{certificate.full_number}/")
            expect(page.locator("main")).to_contain_text(certificate.full_number)
            expect(page.locator("main")).to_contain_text("Active")
            expect(page.locator("html")).to_have_attribute("lang", "en")

            page.locator("a[hreflang=zh-hans]").click()
            page.wait_for_url(f"**/zh-hans/verify/{certificate.full_number}/")
            expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
            expect(page.locator("main")).to_contain_text("有效")
            expect(page.locator("main")).not_to_contain_text("Active")

            # The QR code, as a phone would follow it.
            page.goto(qr_url)
            expect(page.locator("main")).to_contain_text(certificate.full_number)
            expect(page.locator("main")).to_contain_text("杭州云帆数据服务有限公司")
            assert page.evaluate("document.scripts.length") == 0  # no JavaScript served
        finally:
            browser.close()
