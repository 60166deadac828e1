"""Search index port and its adapter (tantivy)."""
