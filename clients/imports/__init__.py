"""Bulk import and export of client lists (issue 6), on the tabular engine (infra/tabular/,
which reads CSV and XLSX files a row at a time and turns what cannot be read into plain
messages).

``columns`` maps the headers people write (Chinese or English) to the client list's fields;
``cleaning`` checks each row and ``writer`` writes clients, sites and contacts a chunk at a
time; ``client_import`` runs an import; ``client_export`` writes the list back out in the same
columns. ``jobs`` and ``runner`` are the admin's upload, preview and import of a file of any
kind; ``registry`` is where the apps above register their kinds (existing certificates:
certificates/imports/) and the certifications a client list's standard opens.
"""
