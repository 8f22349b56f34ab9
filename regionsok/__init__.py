"""Regionsök core: settings, the records passed between stages, the store, errors.

The four stages live in their own top-level packages and data flows one way:
``crawler`` (fetch) → ``ingest`` (bytes → documents → entities) → ``search``
(documents → indexes → answers) → ``api`` (serve). This package is what they share;
it never imports a stage, except :mod:`regionsok.cli` and :mod:`regionsok.jobs`, which
sit on top of all of them.
"""

__version__ = "0.1.0"
