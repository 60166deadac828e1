"""The transactional outbox: events written in the same transaction as the state they announce."""
