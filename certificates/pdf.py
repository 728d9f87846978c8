# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""The certificate document: one A4 PDF per certificate version, in Chinese and English.

What it shows follows shared/domain.md ("Certificates and the public"; ISO/IEC 17021-1 8.2.2):
the body's name, address and certification mark; its accreditation and the accreditation
body's mark where the accreditation covers the standard (CERTBODY ACCREDITATION set and
Standard.accredited); the client's name and location, and for a multi-site certificate every
site in scope with its address, country and its scope there (Site.activities); the scope, with
the Statement of Applicability version for ISO/IEC 27001 (Standard.requires_soa); the standard
with its edition; the number with its version suffix; the effective date labelled by the event
that issued the version (initial certification, recertification, scope extension or reduction,
restoration), the expiry and original certification dates, a restoration gap where there was
one; and a QR code of the public verification URL. A revised version says which version it
replaces, why and from when; a superseded version says so (换发新证), with the number that
replaced it.

The font is vendored (fonts/wqy-microhei.ttf, TrueType, embedded and subset): reportlab cannot
use CFF fonts such as Noto Sans CJK, and its built-in CID fonts are not embedded, so viewers
without them show blanks (docs/decisions/008-certificate-pdfs.md).

The labels are fixed bilingual pairs ("证书编号 Certificate No."), not gettext strings: the
document is the same whatever language the person who triggered the rendering uses.
"""

import functools
import html
import io
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.countries import country_name
from core.policy import policy

from .models import CertificateStatus, DecisionOutcome

FONT_NAME = "WenQuanYiMicroHei"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttf"

INK = colors.HexColor("#1f2d3d")
ACCENT = colors.HexColor("#1d4f91")
SUPERSEDED_RED = colors.HexColor("#b00020")
QR_SIZE = 34 * mm
MARGIN = 18 * mm

# The marks a certificate may carry (CERTBODY settings naming PNG or JPEG files), and the box
# each is fitted into, its proportions kept.
MARK_SETTINGS = ("CERTIFICATION_MARK", "ACCREDITATION_MARK")
MARK_FORMATS = ("PNG", "JPEG")
MARK_WIDTH = 30 * mm
MARK_HEIGHT = 17 * mm

# The event that issued a version (its decision's outcome): what its effective date is labelled
# with, and why a revised version replaces the one before (ISO/IEC 17021-1 8.2.2). Chinese as
# the glossary fixes it (docs/glossary.toml).
EVENTS = {
    DecisionOutcome.GRANT: ("初次认证", "initial certification"),
    DecisionOutcome.RECERTIFY: ("再认证", "recertification"),
    DecisionOutcome.EXTEND_SCOPE: ("扩大认证范围", "scope extension"),
    DecisionOutcome.REDUCE_SCOPE: ("缩小认证范围", "scope reduction"),
    DecisionOutcome.RESTORE_AFTER_EXPIRY: ("恢复认证", "restoration"),
}
# The events whose version replaces the one before: all but a grant, which starts anew (after a
# withdrawal or an expiry without restoration, the earlier version ended and is not replaced).
REVISIONS = frozenset(EVENTS) - {DecisionOutcome.GRANT}
SUPERSEDED_MARK = "已换发新证 SUPERSEDED"
# A site with no activities of its own (Site.activities empty) is certified for the whole scope.
WHOLE_SCOPE = "全部认证范围 The whole scope"


class CertificateMarkError(ImproperlyConfigured):
    """A mark configured in CERTBODY cannot be printed (certificates/checks.py finds it at start;
    this is for a file that went missing since)."""


def mark_problem(name: str) -> str:
    """Why the mark ``CERTBODY[name]`` names cannot be printed; empty when it can, or when
    none is configured."""
    path = str(policy(name) or "").strip()
    if not path:
        return ""
    where = {"setting": f"CERTBODY['{name}']", "variable": f"CERTBODY_{name}", "path": path}
    if not Path(path).is_file():
        return (
            _(
                "%(setting)s (environment variable %(variable)s) is “%(path)s”: there is no "
                "such file."
            )
            % where
        )
    try:
        with PILImage.open(path) as image:
            kind = image.format
            image.verify()  # a truncated or corrupt file fails here, not halfway through a PDF
    except (OSError, SyntaxError, ValueError) as error:  # Pillow's ways of saying "not an image"
        return _(
            "%(setting)s (environment variable %(variable)s) is “%(path)s”: it cannot be read "
            "as an image (%(error)s)."
        ) % {**where, "error": error}
    if kind not in MARK_FORMATS:
        return _(
            "%(setting)s (environment variable %(variable)s) is “%(path)s”: it is a %(kind)s "
            "image; use a PNG or JPEG file."
        ) % {**where, "kind": kind}
    return ""


def _mark(name: str, *, allowed: bool = True) -> Image | None:
    """The mark ``CERTBODY[name]`` as a flowable fitted to its box, or None when none is
    configured or it is not allowed here. Raises CertificateMarkError when it cannot be read."""
    path = str(policy(name) or "").strip()
    if not path or not allowed:
        return None
    problem = mark_problem(name)
    if problem:
        raise CertificateMarkError(problem)
    return Image(path, width=MARK_WIDTH, height=MARK_HEIGHT, kind="bound")


def verification_url(certificate) -> str:
    """The certificate's public verification page, as printed in its QR code. Always the
    English URL (no /zh-hans/ prefix): the page itself offers the language switch."""
    with translation.override("en"):
        path = reverse("public:certificate", kwargs={"number": certificate.full_number})
    return policy("PUBLIC_BASE_URL") + path


@functools.cache
def _font() -> str:
    """Register the vendored font once per process (parsing it takes ~100 ms)."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    # One face only: map bold and italic to it so Paragraph markup never falls back to
    # Helvetica, which has no Chinese glyphs.
    pdfmetrics.registerFontFamily(
        FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME, boldItalic=FONT_NAME
    )
    return FONT_NAME


def _text(value) -> str:
    """User data as Paragraph markup: escaped, line breaks kept."""
    return html.escape(str(value or ""), quote=False).replace("\n", "<br/>")


def _date(value) -> str:
    if value is None:
        return "—"
    return f"{value.isoformat()}（{value.year}年{value.month}月{value.day}日）"


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base", fontName=font, fontSize=9.5, leading=13.5, textColor=INK, wordWrap="CJK"
    )

    def style(name, **kw):
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "base": base,
        "small": style("small", fontSize=8, leading=10.5),
        "label": style("label", fontSize=8.5, leading=12, textColor=colors.HexColor("#5a6878")),
        "centre": style("centre", alignment=TA_CENTER),
        "centre_small": style("centre_small", alignment=TA_CENTER, fontSize=8.5, leading=12),
        "body": style("body", alignment=TA_CENTER, fontSize=12, leading=16, textColor=ACCENT),
        "title": style("title", alignment=TA_CENTER, fontSize=20, leading=24, textColor=ACCENT),
        "subtitle": style("subtitle", alignment=TA_CENTER, fontSize=12, leading=16),
        "name": style("name", alignment=TA_CENTER, fontSize=18, leading=24),
        "english_name": style("english_name", alignment=TA_CENTER, fontSize=12.5, leading=17),
        "standard": style(
            "standard", alignment=TA_CENTER, fontSize=16, leading=21, textColor=ACCENT
        ),
        "banner": style(
            "banner", alignment=TA_CENTER, fontSize=10, leading=13, textColor=colors.white
        ),
    }


def _successor(certificate):
    """The version that replaced a superseded one (the next version issued)."""
    return (
        certificate.certification.certificates.filter(version__gt=certificate.version)
        .order_by("version")
        .first()
    )


def _predecessor(certificate):
    """The version a revised one replaces (the one issued before it), or None."""
    if certificate.version <= 1:
        return None
    return (
        certificate.certification.certificates.filter(version__lt=certificate.version)
        .order_by("-version")
        .first()
    )


def _event(certificate) -> tuple[str, str] | None:
    """(Chinese, English) name of the event that issued this version, or None when its effective
    date is not one of them: a version brought in from another system (a grant recorded on an
    issue date other than the original certification date)."""
    outcome = certificate.decision.outcome
    if (
        outcome == DecisionOutcome.GRANT
        and certificate.effective_date != certificate.original_certification_date
    ):
        return None
    return EVENTS.get(outcome)


def _qr(url: str) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M", barWidth=QR_SIZE, barHeight=QR_SIZE)
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(widget)
    return drawing


def _country(code: str) -> str:
    """The country both ways, e.g. "中国 China"; the code when django-countries names none."""
    names = dict.fromkeys((country_name(code, "zh-hans"), country_name(code, "en")))
    return " ".join(name for name in names if name) or code


def _location(place: dict, country_code: str) -> str:
    return "，".join(
        part for part in (place["address"], place["city"], _country(country_code)) if part
    )


def _header(s, *, body_name, body_address, accreditation, certification_mark, accreditation_mark):
    """The body: its certification mark, name, address and accreditation, and the
    accreditation body's mark where allowed."""
    centre = [Paragraph(_text(body_name), s["body"])]
    if body_address:
        centre.append(Paragraph(_text(f"地址 Address: {body_address}"), s["centre_small"]))
    if accreditation:
        centre.append(Paragraph(_text(f"认可 Accreditation: {accreditation}"), s["centre_small"]))
    if certification_mark is None and accreditation_mark is None:
        return centre
    frame_width = A4[0] - 2 * MARGIN
    header = Table(
        [[certification_mark or "", centre, accreditation_mark or ""]],
        colWidths=[
            MARK_WIDTH + 2 * mm,
            frame_width - 2 * (MARK_WIDTH + 2 * mm),
            MARK_WIDTH + 2 * mm,
        ],
    )
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, 0), "LEFT"),
                ("ALIGN", (2, 0), (2, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [header]


def _superseded_banner(s, successor):
    newer = successor.full_number if successor is not None else ""
    headline = f"{SUPERSEDED_MARK} — replaced by {newer}" if newer else SUPERSEDED_MARK
    body = (
        f"本证书版本已换发新证 {newer}，不再有效。" if newer else "本证书版本已换发新证，不再有效。"
    ) + " This version is no longer valid."
    banner = Table(
        [[Paragraph(_text(headline), s["banner"])], [Paragraph(_text(body), s["banner"])]],
        colWidths=["100%"],
    )
    banner.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SUPERSEDED_RED),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return [banner, Spacer(1, 3 * mm)]


def _site_table(s, holder, sites):
    """One row a site: name (central function marked), address with its country, and its scope
    there (Site.activities; the whole scope when it names none). Snapshots recorded before
    sites carried a country or activities print the holder's country and the whole scope."""
    rows = [
        [
            Paragraph("场所及地址 Site and address", s["label"]),
            Paragraph("该场所的认证范围 Scope at this site", s["label"]),
        ]
    ]
    for site in sites:
        name = _text(site["name"])
        if site["is_central"]:
            name += "（中心职能 Central function）"
        where = _text(_location(site, site.get("country") or holder["country"]))
        activities = (site.get("activities") or "").strip()
        rows.append(
            [
                Paragraph(f"<b>{name}</b>：{where}", s["small"]),
                Paragraph(_text(activities or WHOLE_SCOPE), s["small"]),
            ]
        )
    table = Table(rows, colWidths=["56%", "44%"], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c8d0da")),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("LEFTPADDING", (1, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return [
        Spacer(1, 2.5 * mm),
        Paragraph(
            _text(f"认证覆盖的场所 Sites covered by this certificate ({len(sites)})"), s["label"]
        ),
        table,
    ]


def _facts(certificate, s, *, body_name, event, predecessor):
    """The dates (the effective date labelled by its event), what a revised version replaces,
    and the issuer."""
    effective = "颁证日期 Effective date"
    if event is not None:
        effective = f"颁证日期（{event[0]}）Effective date ({event[1]})"
    # The number is printed under the title and in the footer: not a third time here.
    facts = [(effective, _date(certificate.effective_date))]
    if predecessor is not None and certificate.decision.outcome in REVISIONS:
        day = certificate.effective_date.isoformat()
        facts.append(
            (
                "换发新证 Replaces",
                f"本证书因{event[0]}换发新证，替换原证书 {predecessor.full_number}，自 {day} 起"
                f"生效。 This certificate replaces {predecessor.full_number} following "
                f"{event[1]}, effective {day}.",
            )
        )
    facts += [
        ("有效期至 Expiry date", _date(certificate.expiry_date)),
        (
            "初次认证日期 Original certification date",
            _date(certificate.original_certification_date),
        ),
    ]
    if certificate.gap_from and certificate.gap_to:
        facts.append(
            (
                "未获认证期间 Not certified (restored after expiry)",
                f"{_date(certificate.gap_from)} – {_date(certificate.gap_to)}",
            )
        )
    facts.append(("发证机构 Issued by", body_name))
    table = Table(
        [
            [Paragraph(label, s["label"]), Paragraph(_text(value), s["base"])]
            for label, value in facts
        ],
        colWidths=[58 * mm, None],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
            ]
        )
    )
    return table


def _story(certificate, s, *, superseded, successor):
    holder = certificate.holder_snapshot()
    standard = certificate.standard
    body_name = policy("BODY_NAME")
    # The accreditation (its text and its body's mark) only where it covers the standard, as
    # recorded when the version was issued (holder_of); versions recorded before then: today's.
    accreditation = holder.get("accreditation")
    if accreditation is None:
        accreditation = policy("ACCREDITATION") if standard.accredited else ""
    url = verification_url(certificate)
    story = _superseded_banner(s, successor) if superseded else []

    story += _header(
        s,
        body_name=body_name,
        body_address=str(policy("BODY_ADDRESS") or "").strip(),
        accreditation=accreditation,
        certification_mark=_mark("CERTIFICATION_MARK"),
        accreditation_mark=_mark("ACCREDITATION_MARK", allowed=bool(accreditation)),
    )
    story += [
        Spacer(1, 3 * mm),
        Paragraph("管理体系认证证书", s["title"]),
        Paragraph("MANAGEMENT SYSTEM CERTIFICATE", s["subtitle"]),
        Spacer(1, 2 * mm),
        Paragraph(_text(f"证书编号 Certificate No.: {certificate.full_number}"), s["centre"]),
        Spacer(1, 3 * mm),
        Paragraph("兹证明 This is to certify that", s["centre_small"]),
        Spacer(1, 2 * mm),
        Paragraph(_text(holder["legal_name"]), s["name"]),
    ]
    if holder["english_name"]:
        story.append(Paragraph(_text(holder["english_name"]), s["english_name"]))
    story += [
        Spacer(1, 1 * mm),
        Paragraph(_text(f"地址 Address: {_location(holder, holder['country'])}"), s["centre"]),
        Spacer(1, 3 * mm),
        Paragraph(
            "建立并实施的管理体系符合标准 operates a management system that conforms to",
            s["centre_small"],
        ),
        Spacer(1, 1 * mm),
        Paragraph(_text(str(standard)), s["standard"]),
    ]
    if standard.title:
        story.append(Paragraph(_text(standard.title), s["centre_small"]))
    story += [
        Spacer(1, 3 * mm),
        Paragraph("认证范围 Scope of certification", s["label"]),
        Paragraph(_text(certificate.scope), s["base"]),
    ]
    if certificate.soa_version:
        story.append(
            Paragraph(_text(f"适用性声明版本 SoA version: {certificate.soa_version}"), s["base"])
        )

    sites = holder["sites"]
    multi_site = len(sites) > 1 or (len(sites) == 1 and sites[0]["address"] != holder["address"])
    if multi_site:
        story += _site_table(s, holder, sites)

    fact_table = _facts(
        certificate,
        s,
        body_name=body_name,
        event=_event(certificate),
        predecessor=_predecessor(certificate),
    )
    frame_width = A4[0] - 2 * MARGIN
    verify = [
        Spacer(1, 2 * mm),
        Paragraph(
            "扫描二维码或访问以下网址，查询本证书的当前状态。"
            " Scan the QR code or visit the address below to verify this certificate's"
            " current status:",
            s["small"],
        ),
        Paragraph(_text(url), s["small"]),
    ]
    layout = Table(
        [[[fact_table, *verify], _qr(url)]],
        colWidths=[frame_width - QR_SIZE - 4 * mm, QR_SIZE + 4 * mm],
    )
    layout.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story += [Spacer(1, 3 * mm), layout]
    return story


def _decorate(certificate, *, superseded: bool, font: str):
    """Per page: border, footer with the number and page, the superseded watermark."""
    width, height = A4

    def draw(canvas, doc):
        canvas.saveState()
        if superseded:
            # Drawn before the page's content, faint enough to keep the QR code readable.
            canvas.setFillColor(SUPERSEDED_RED)
            canvas.setFillAlpha(0.12)
            canvas.setFont(font, 38)  # the mark, corner to corner inside the border
            canvas.translate(width / 2, height / 2)
            canvas.rotate(55)
            canvas.drawCentredString(0, 0, SUPERSEDED_MARK)
            canvas.rotate(-55)
            canvas.translate(-width / 2, -height / 2)
            canvas.setFillAlpha(1)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1.2)
        canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
        canvas.setLineWidth(0.4)
        canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
        canvas.setFillColor(INK)
        canvas.setFont(font, 7.5)
        canvas.drawString(
            MARGIN, 14 * mm, f"{certificate.full_number} · 第 {doc.page} 页 Page {doc.page}"
        )
        canvas.restoreState()

    return draw


def render_certificate_pdf(certificate) -> bytes:
    """The PDF of one certificate version. Deterministic (reportlab's invariant mode): the
    same data renders to the same bytes, so re-rendering can tell whether anything changed."""
    font = _font()
    superseded = certificate.status == CertificateStatus.SUPERSEDED
    successor = _successor(certificate) if superseded else None
    styles = _styles(font)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{certificate.full_number} {certificate.holder_snapshot()['legal_name']}",
        author=policy("BODY_NAME"),
        subject=str(certificate.standard),
        invariant=1,
    )
    decorate = _decorate(certificate, superseded=superseded, font=font)
    doc.build(
        _story(certificate, styles, superseded=superseded, successor=successor),
        onFirstPage=decorate,
        onLaterPages=decorate,
    )
    return buffer.getvalue()
