"""Live streams: ingest over WebSocket (or SRT), 2-second clips each published with a pointer
to the next, viewers walking the pointers on the CDN."""
