"""The CDN edge of scaled mode: nginx's config, and the gate files it checks access against."""
