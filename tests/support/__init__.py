"""Helpers for tests and benches (indexed corpora, a live server, gold extractions); never imported by the product."""
