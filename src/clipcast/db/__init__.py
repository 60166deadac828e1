"""Declarative base, engine and sessions."""
