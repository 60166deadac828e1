"""The owner's studio: a video's analytics (views over time, reactions, watch time, retention)."""
