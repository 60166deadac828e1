"""Transcoding: probe, ladder, ffmpeg runs, publishing renditions, the worker loop."""
