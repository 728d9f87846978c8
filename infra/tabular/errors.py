"""What makes an uploaded file as a whole unusable, in words a person understands.

:class:`ImportFileError` carries the message(s); each message below names what to do (and, for a
limit, the setting that holds it: CERTBODY_IMPORT_...). Problems with single values are the
import's row errors (infra/tabular/report.py).
"""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class ImportFileError(DomainError):
    """The file as a whole cannot be read; .messages says why, in words a person understands
    (gettext_lazy strings)."""


# -- Messages --------------------------------------------------------------------------------

EMPTY = _("The file is empty.")
CANNOT_OPEN = _("The file %(name)s cannot be opened (%(error)s).")
TOO_BIG = _("The file is %(size)s; the limit is %(limit)s.")
TOO_BIG_STREAM = _("The file is larger than the limit of %(limit)s.")
ENCRYPTED = _(
    "The workbook is password-protected: remove the password in Excel (File > Info > Protect "
    "Workbook) and upload it again."
)
OLD_XLS = _("Old Excel 97–2003 .xls files are not supported: save it as .xlsx or CSV.")  # noqa: RUF001 (an en dash)
XLSB = _("Excel binary workbooks (.xlsb) are not supported: save it as .xlsx or CSV.")
ODS = _("OpenDocument spreadsheets (.ods) are not supported: save it as .xlsx or CSV.")
NUMBERS = _("Apple Numbers files are not supported: export it as .xlsx or CSV.")
XML_2003 = _("Excel 2003 XML spreadsheets are not supported: save it as .xlsx or CSV.")
HTML = _(
    "This is a web page (HTML), not a spreadsheet (some systems' “export to Excel” makes "
    "one): open it in Excel, save it as .xlsx or CSV and upload that."
)
WRONG_FORMAT = _("This is %(what)s, not a spreadsheet: upload a CSV or .xlsx file.")
WHAT_DOCX = _("a Word document (.docx)")
WHAT_DOC = _("an old Word document (.doc)")
WHAT_PPTX = _("a PowerPoint presentation (.pptx)")
WHAT_PPT = _("an old PowerPoint presentation (.ppt)")
WHAT_ZIP = _("a ZIP archive")
WHAT_ARCHIVE = _("a compressed archive")
WHAT_PDF = _("a PDF document")
WHAT_IMAGE = _("an image (%(kind)s)")
WHAT_XML = _("an XML file")
BINARY = _(
    "This is not a text (CSV) file or an .xlsx workbook: upload a CSV or .xlsx file "
    "(in Excel: File > Save As > CSV UTF-8 or Excel Workbook)."
)
UTF16 = _(
    "The file is UTF-16 text (Excel's “Unicode Text”): save it as “CSV UTF-8” and upload it again."
)
ZIP_DAMAGED = _(
    "The file looks like an .xlsx workbook but cannot be opened (%(error)s): open it in Excel, "
    "save it again and upload that."
)
UNKNOWN_ENCODING = _(
    "Unknown encoding “%(encoding)s”: choose UTF-8, UTF-8 with BOM, GBK or GB18030."
)
BAD_BYTES = _(
    "Row %(row)s, column %(column)s: the text is not valid %(encoding)s. Choose the file's "
    "encoding (GBK/GB18030 or UTF-8; --encoding on the command line) and upload it again, or "
    "save the file as “CSV UTF-8”."
)
NUL_BYTE = _(
    "Row %(row)s, column %(column)s: the file holds a NUL byte, which is binary data, not text: "
    "the file is damaged or not a CSV file. Open it in Excel and save it again as “CSV UTF-8”."
)
CSV_BROKEN = _(
    "Row %(row)s cannot be read (%(error)s): a quoted cell may never be closed (a stray "
    "quotation mark), or a cell is longer than %(limit)s characters."
)
UNCLOSED_QUOTE = _(
    "Row %(row)s: a quotation mark opens a cell that is never closed, so the rest of the file "
    "would be read into that cell: remove the stray quotation mark or close the quote, then "
    "upload again."
)
NO_HEADER = _("Row 1 is empty: the first row must hold the column headers.")
EMPTY_HEADER = _(
    "Header cell %(cell)s is empty (merged header cells?): give every column its own header "
    "in row 1."
)
DUPLICATE_HEADER = _(
    "The header “%(header)s” appears more than once (columns %(columns)s): give every column "
    "its own header."
)
FORMULA = _(
    "Cell %(cell)s holds a formula (%(formula)s); copy the sheet and paste values only, then "
    "upload again."
)
ERROR_CELL = _("Cell %(cell)s holds the error %(error)s: correct it and upload again.")
MERGED_HEADER = _(
    "Header cells %(range)s are merged: give every column its own header in row 1, then "
    "upload again."
)
MERGED_CELLS = _(
    "Cells %(range)s are merged, so only the first of them holds a value: unmerge them (Home "
    "> Merge & Center) and fill in every cell, then upload again."
)
NO_SHEET = _("The workbook has no worksheet.")
UNKNOWN_SHEET = _("The workbook has no sheet “%(sheet)s” (it has: %(sheets)s).")
XLSX_BROKEN = _(
    "The workbook cannot be read (%(error)s): open it in Excel, save it again and upload that."
)
XLSX_BROKEN_AT = _(
    "The workbook cannot be read after row %(row)s (%(error)s): open it in Excel, save it "
    "again and upload that."
)
UNPACKED_TOO_BIG = _(
    "The workbook unpacks to %(size)s; at most %(limit)s is accepted "
    "(CERTBODY_IMPORT_MAX_UNPACKED_BYTES). Split it into smaller files, or save it as CSV."
)
TOO_MANY_PARTS = _(
    "The workbook holds more than %(limit)s parts (files inside the .xlsx), the most accepted "
    "(CERTBODY_IMPORT_MAX_ZIP_MEMBERS): open it in Excel, save it again and upload that."
)
RATIO_TOO_HIGH = _(
    "The workbook part %(part)s unpacks to %(size)s from %(packed)s, %(ratio)s times its packed "
    "size; at most %(limit)s times is accepted (CERTBODY_IMPORT_MAX_COMPRESSION_RATIO). Delete "
    "the empty rows and columns, save it again and upload that, or save it as CSV."
)
PART_TOO_BIG = _(
    "The workbook part %(part)s unpacks to %(size)s; at most %(limit)s is accepted for a part "
    "other than a worksheet or its shared strings (CERTBODY_IMPORT_MAX_XML_PART_BYTES). Remove "
    "pictures, charts and unused cell styles, or save it as CSV."
)
TOO_MANY_COLUMNS = _(
    "Cell %(cell)s is in column %(column)s; at most %(limit)s columns are accepted "
    "(CERTBODY_IMPORT_MAX_COLUMNS): delete the columns after %(last)s and upload again."
)
SHARED_STRINGS_TOO_BIG = _(
    "The workbook's shared strings (the text of its cells, part %(part)s) unpack to %(size)s; "
    "at most %(limit)s is accepted (CERTBODY_IMPORT_MAX_SHARED_STRINGS_BYTES), as they are all "
    "read into memory at once. Split the list into smaller files, or save it as CSV (read row "
    "by row, whatever its size up to the upload limit)."
)
TOO_MANY_SHARED_STRINGS = _(
    "The workbook holds more than %(limit)s different texts (shared strings), the most accepted "
    "(CERTBODY_IMPORT_MAX_SHARED_STRINGS), as they are all read into memory at once. Split the "
    "list into smaller files, or save it as CSV (read row by row, whatever its size up to the "
    "upload limit)."
)
ROW_PAST_EXCEL = _(
    "The worksheet has a row numbered %(row)s, past the last row of Excel (%(limit)s): the file "
    "is damaged. Open it in Excel, save it again and upload that."
)


def wrong_format(what) -> ImportFileError:
    """The file is ``what`` (WHAT_PDF, WHAT_DOCX...), not a spreadsheet."""
    return ImportFileError(WRONG_FORMAT % {"what": what})
