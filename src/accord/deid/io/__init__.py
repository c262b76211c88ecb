"""What `deid` reads and writes (DDG.md §11): input files, the released tables, the report.

`files` loads a release's inputs (collecting every problem) and builds the documents the CLI
and the web share; `output` writes the Open Data Portal and human-readable forms of a release
(§11.1, §11.2); `report` renders the reviewer's report (JSON and HTML, `templates/`).
"""
