"""Bulk import and export of clients and certificates (issue 6).

``tabular`` reads CSV and XLSX files a row at a time and turns what cannot be read into plain
messages; ``columns`` maps the headers people write (Chinese or English) to fields and parses
their dates and numbers; ``client_import`` checks and writes the rows.
"""
