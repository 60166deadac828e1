"""Videos: metadata, renditions, the clip chain, listings."""
