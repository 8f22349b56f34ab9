"""Search stage: documents become chunks, embeddings, FAISS + FTS5 indexes, and answers."""
