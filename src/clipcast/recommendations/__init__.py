"""Recommendations: system-made video tags, user taste tags, a collaborative model, ranking."""
