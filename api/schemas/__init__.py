"""Response models, one module per resource; ``common`` holds the error body all share."""
