"""The web layer: FastAPI app, dependencies, error mapping, pages."""
