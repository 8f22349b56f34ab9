"""The HTTP API and web page of Regionsök (FastAPI): read-only, over the store and the index.

``create_app(settings)`` in :mod:`api.app` builds the application; :mod:`api.server` runs
it with uvicorn (``regionsok serve``). One router per resource in :mod:`api.routes`,
response models per resource in :mod:`api.schemas`, dependencies in :mod:`api.deps`.
"""
