"""Thumbnails: the poster, its sizes, the hover preview and the storyboard of each video."""
