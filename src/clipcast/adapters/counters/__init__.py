"""Counters port and its adapters: SQL tables (embedded) and Redis (scaled)."""
