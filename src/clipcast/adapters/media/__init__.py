"""Media adapters: probing untrusted uploads and running ffmpeg in watched child processes."""
