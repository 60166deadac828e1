"""The live chat store port and its adapters: in memory (embedded) and Redis (scaled)."""
