# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""The certificate document: one A4 PDF per certificate version, in Chinese and English.

What it shows follows shared/domain.md ("Certificates and the public"; ISO/IEC 17021-1 8.2.2):
client name and location (every site in scope for multi-site), scope, standard with edition,
the number with its version suffix, effective, expiry and original certification dates, a
restoration gap where there was one, the body's name and accreditation, and a QR code of the
public verification URL. A superseded version says so, with the number that replaced it.

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

from django.urls import reverse
from django.utils import translation
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.policy import policy

from .models import CertificateStatus

FONT_NAME = "WenQuanYiMicroHei"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttf"

# Country names printed beside the client's ISO 3166 code; any other code prints as is.
COUNTRY_NAMES = {"CN": "中国 China"}

INK = colors.HexColor("#1f2d3d")
ACCENT = colors.HexColor("#1d4f91")
SUPERSEDED_RED = colors.HexColor("#b00020")
QR_SIZE = 34 * mm
MARGIN = 18 * mm


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
        "small": style("small", fontSize=8, leading=11),
        "label": style("label", fontSize=8.5, leading=12, textColor=colors.HexColor("#5a6878")),
        "centre": style("centre", alignment=TA_CENTER),
        "centre_small": style("centre_small", alignment=TA_CENTER, fontSize=8.5, leading=12),
        "body": style("body", alignment=TA_CENTER, fontSize=12, leading=16, textColor=ACCENT),
        "title": style("title", alignment=TA_CENTER, fontSize=20, leading=26, textColor=ACCENT),
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


def _qr(url: str) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M", barWidth=QR_SIZE, barHeight=QR_SIZE)
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(widget)
    return drawing


def _location(holder: dict) -> str:
    country = COUNTRY_NAMES.get(holder["country"], holder["country"])
    return "，".join(part for part in (holder["address"], holder["city"], country) if part)


def _story(certificate, s, *, superseded, successor):
    holder = certificate.holder_snapshot()
    standard = certificate.standard
    body_name = policy("BODY_NAME")
    accreditation = policy("ACCREDITATION")
    url = verification_url(certificate)
    story = []

    if superseded:
        newer = successor.full_number if successor is not None else ""
        headline = f"已被取代 SUPERSEDED — replaced by {newer}" if newer else "已被取代 SUPERSEDED"
        banner = Table(
            [
                [Paragraph(_text(headline), s["banner"])],
                [
                    Paragraph(
                        _text(
                            (
                                f"本证书版本已由新版本 {newer} 取代，不再有效。"
                                if newer
                                else "本证书版本已被取代，不再有效。"
                            )
                            + " This version is no longer valid."
                        ),
                        s["banner"],
                    )
                ],
            ],
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
        story += [banner, Spacer(1, 4 * mm)]

    story.append(Paragraph(_text(body_name), s["body"]))
    if accreditation:
        story.append(Paragraph(_text(f"认可 Accreditation: {accreditation}"), s["centre_small"]))
    story += [
        Spacer(1, 4 * mm),
        Paragraph("管理体系认证证书", s["title"]),
        Paragraph("MANAGEMENT SYSTEM CERTIFICATE", s["subtitle"]),
        Spacer(1, 2 * mm),
        Paragraph(_text(f"证书编号 Certificate No.: {certificate.full_number}"), s["centre"]),
        Spacer(1, 4 * mm),
        Paragraph("兹证明 This is to certify that", s["centre_small"]),
        Spacer(1, 2 * mm),
        Paragraph(_text(holder["legal_name"]), s["name"]),
    ]
    if holder["english_name"]:
        story.append(Paragraph(_text(holder["english_name"]), s["english_name"]))
    story += [
        Spacer(1, 1 * mm),
        Paragraph(_text(f"地址 Address: {_location(holder)}"), s["centre"]),
        Spacer(1, 4 * mm),
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
        Spacer(1, 4 * mm),
        Paragraph("认证范围 Scope of certification", s["label"]),
        Paragraph(_text(certificate.scope), s["base"]),
    ]

    sites = holder["sites"]
    multi_site = len(sites) > 1 or (len(sites) == 1 and sites[0]["address"] != holder["address"])
    if multi_site:
        rows = [
            [
                Paragraph("场所 Site", s["label"]),
                Paragraph("地址 Address", s["label"]),
            ]
        ]
        for site in sites:
            name = _text(site["name"])
            if site["is_central"]:
                name += "<br/>（中心职能 Central function）"
            rows.append(
                [
                    Paragraph(name, s["small"]),
                    Paragraph(_text(f"{site['address']}，{site['city']}"), s["small"]),
                ]
            )
        table = Table(rows, colWidths=["32%", "68%"], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c8d0da")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        story += [
            Spacer(1, 3 * mm),
            Paragraph(
                _text(f"认证覆盖的场所 Sites covered by this certificate ({len(sites)})"),
                s["label"],
            ),
            table,
        ]

    facts = [
        ("证书编号 Certificate No.", certificate.full_number),
        ("颁证日期 Effective date", _date(certificate.effective_date)),
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
    fact_table = Table(
        [
            [Paragraph(label, s["label"]), Paragraph(_text(value), s["base"])]
            for label, value in facts
        ],
        colWidths=[60 * mm, None],
    )
    fact_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
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
    story += [Spacer(1, 5 * mm), layout]
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
            canvas.setFont(font, 44)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(55)
            canvas.drawCentredString(0, 0, "已被取代 SUPERSEDED")
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
