"""Integration tests of the media adapters and the transcoder against the real ffmpeg."""
