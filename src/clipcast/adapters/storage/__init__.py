"""Object storage port and its adapters (local disk, S3)."""
