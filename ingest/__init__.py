"""Ingest: bytes (HTML, PDF, text) → documents; Swedish NLP → extractions."""
