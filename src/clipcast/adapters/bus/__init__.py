"""Pub/sub bus port and its adapters (in-process, NATS JetStream)."""
