"""One router per resource: search, regions, people, documents, facets, health, export, web."""
