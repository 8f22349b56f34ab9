"""The application layer: the `regionsok` CLI (:mod:`app.cli`) and the nightly job (:mod:`app.jobs`).

It sits on top: it imports the core and every stage, and nothing imports it (the import
contract test holds that). Commands are thin: parse, call one stage function, format.
"""
