"""Event plumbing above the bus: the outbox relay, consumer-side dedupe, the embedded bus tables."""
