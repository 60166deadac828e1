"""Activity: viewers' events in batches -> outbox -> bus -> history, the activity log, counters."""
