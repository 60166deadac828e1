"""A durable work queue in SQL: jobs are leased, renewed while running, retaken if a worker dies."""
