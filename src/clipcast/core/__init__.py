"""Pure shared kernel: ids, clock, errors, events."""
