"""Search stage: documents become chunks, embeddings, FAISS and keyword indexes, and answers."""

import logging

# faiss logs every CPU-feature probe at INFO when imported: noise in every CLI run.
logging.getLogger("faiss.loader").setLevel(logging.WARNING)
