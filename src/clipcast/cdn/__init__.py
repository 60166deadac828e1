"""The CDN route: clips and playlists from object storage, with caching and signed access."""
