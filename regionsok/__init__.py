"""Regionsök core: settings, the records passed between stages, the store, errors, text rules.

The layers, bottom to top (``tests/test_import_contract.py`` holds them):

- ``regionsok`` (this package): what every stage shares; it imports no stage;
- the four stages, data flowing one way: ``crawler`` (fetch) and ``ingest`` (bytes →
  documents → entities), then ``search`` (documents → indexes → answers), then ``api`` (serve);
- ``app``: the application (CLI, nightly job, demo), which imports the stages and is
  imported by none. ``python -m regionsok`` is its entry point (``regionsok/__main__.py``).
"""

__version__ = "0.1.0"
