"""The nginx config of the CDN edge, rendered from a deployment's settings (pure).

Media is served by nginx alone: public media under `/cdn/videos/{id}/…` when the gate says the
video is public, signed media under `/cdn/s/{mac}/{expires}/{key_version}/videos/{id}/…` when
`secure_link` accepts the token and the gate holds that key version (edge/gate.py), so no
media request reaches the API. Objects come from the S3 bucket through `proxy_cache`, or from
the media directory on disk. Every other path goes to the API processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from clipcast.cdn.caching import (
    CONTENT_TYPES,
    MUTABLE_SECONDS,
    MUTABLE_SUFFIXES,
    PRIVATE_SECONDS,
    YEAR,
)

# The shapes cdn/paths.py reads; the object part is what storage's check_key accepts.
_VIDEO = r"(?<cdn_video>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
_REST = r"(?<cdn_rest>(?!.*\.\.)[a-z0-9][a-z0-9_.-]*(?:/[a-z0-9][a-z0-9_.-]*)*"
_SIGNED_PARTS = r"(?<cdn_mac>[A-Za-z0-9_-]{22})/(?<cdn_expires>[0-9]{1,12})/(?<cdn_kv>[0-9]{1,12})"
GATE_CACHE_SECONDS = 1
_MISSING_BODY = '{"error":{"code":"media_not_found","message":"No such media."}}'
_DOWN_BODY = '{"error":{"code":"origin_unavailable","message":"Media storage is unreachable."}}'


@dataclass(frozen=True)
class S3Origin:
    endpoint: str  # http(s)://host[:port] of the S3 API
    bucket: str


@dataclass(frozen=True)
class DiskOrigin:
    media_dir: Path  # the local storage root: objects at media_dir/videos/{id}/…


@dataclass(frozen=True)
class EdgeConfig:
    listen: str  # "80", "127.0.0.1:8080"
    api: tuple[str, ...]  # host:port of each API process
    origin: S3Origin | DiskOrigin
    link_key: str  # cdn.signing.link_key(secret): hex
    gate_dir: Path  # written by `clipcast worker --role edge`
    state_dir: Path  # nginx's pid, logs, temp files and cache
    cache_max_size: str = "10g"
    cache_inactive: str = "30d"  # an object unread this long leaves the cache
    worker_processes: str = "auto"
    user: str | None = None  # workers' user when nginx starts as root
    server_name: str = "_"
    access_log: bool = True


def render(config: EdgeConfig) -> str:
    """A complete nginx.conf."""
    return "\n".join(
        [
            *_main(config),
            "http {",
            *_indent(_http(config)),
            "    server {",
            *_indent(_server(config), 2),
            "    }",
            "}",
            "",
        ]
    )


def _main(c: EdgeConfig) -> list[str]:
    state = c.state_dir
    lines = [
        "# Rendered by `clipcast edge nginx-config`; re-render when the settings change.",
        f"worker_processes {c.worker_processes};",
        "pcre_jit on;",  # every media request is matched against the regex locations
        f"pid {state / 'nginx.pid'};",
        f"error_log {state / 'error.log'} warn;",
        "events { worker_connections 4096; }",
    ]
    return ([f"user {c.user};"] if c.user else []) + lines


def _http(c: EdgeConfig) -> list[str]:
    state = c.state_dir
    types = " ".join(f"{kind} {suffix[1:]};" for suffix, kind in CONTENT_TYPES.items())
    lines = [
        f"types {{ {types} }}",
        "default_type application/octet-stream;",
        "sendfile on;",
        "tcp_nopush on;",
        "keepalive_requests 100000;",
        "server_tokens off;",
        *(f"{name}_temp_path {state / name};" for name in ("client_body", "proxy")),
        *(f"{name}_temp_path {state / name};" for name in ("fastcgi", "uwsgi", "scgi")),
        f"access_log {state / 'access.log'};" if c.access_log else "access_log off;",
        "map $http_upgrade $connection_upgrade { default upgrade; '' ''; }",
        _upstream("clipcast_api", c.api, "least_conn;"),
        # Until uploads are staged in object storage, one client's tus PATCHes must reach the
        # API process that holds its upload.
        _upstream("clipcast_uploads", c.api, "hash $remote_addr consistent;"),
    ]
    if isinstance(c.origin, S3Origin):
        host, _ = _origin_host(c.origin)
        lines += [
            f"proxy_cache_path {state / 'cache'} levels=1:2 keys_zone=clipcast_media:64m "
            f"max_size={c.cache_max_size} inactive={c.cache_inactive} use_temp_path=off;",
            _upstream("clipcast_origin", (host,), ""),
        ]
    return lines


def _upstream(name: str, servers: tuple[str, ...], balance: str) -> str:
    body = " ".join([balance, *(f"server {s};" for s in servers), "keepalive 32;"])
    return f"upstream {name} {{ {body.strip()} }}"


def _server(c: EdgeConfig) -> list[str]:
    return [
        f"listen {c.listen};",
        f"server_name {c.server_name};",
        "client_max_body_size 0;",
        *_media_locations(c),
        "location @cdn_missing {",
        "    default_type application/json;",
        "    add_header Cache-Control no-store always;",
        f"    return 404 '{_MISSING_BODY}';",
        "}",
        "location @cdn_down {",
        "    default_type application/json;",
        "    add_header Cache-Control no-store always;",
        f"    return 502 '{_DOWN_BODY}';",
        "}",
        "location ^~ /api/v1/uploads {",
        *_indent(_to_api("clipcast_uploads")),
        "}",
        "location / {",
        *_indent(_to_api("clipcast_api")),
        "}",
    ]


def _media_locations(c: EdgeConfig) -> list[str]:
    """Under `/cdn/` (no other location is tried): public or signed, each mutable
    (short-lived) or not; anything else there is a 404."""
    mutable = "|".join(s.lstrip(".") for s in MUTABLE_SUFFIXES)
    out = [
        "location ^~ /cdn/ {",
        "    error_page 404 = @cdn_missing;",
        # The gate's files and the media's are looked up once a second at most, not on every
        # request: a change reaches the edge at most this much later.
        "    open_file_cache max=50000 inactive=60s;",
        f"    open_file_cache_valid {GATE_CACHE_SECONDS}s;",
        "    open_file_cache_errors on;",
    ]
    for signed in (False, True):
        prefix = f"/cdn/s/{_SIGNED_PARTS}/videos/" if signed else "/cdn/videos/"
        for short in (True, False):
            rest = f"{_REST}\\.(?:{mutable}))" if short else f"{_REST})"
            out.append(f'    location ~ "^{prefix}{_VIDEO}/{rest}$" {{')
            out += _indent(_gate(c, signed) + _serve(c, signed=signed, short=short), 2)
            out.append("    }")
    return [*out, "    return 404;", "}"]


def _gate(c: EdgeConfig, signed: bool) -> list[str]:
    """Refuse (404, as for a missing video) unless the video is public, or the token is good
    and made at the video's current key version."""
    lines = ["error_page 404 = @cdn_missing;"]  # not inherited once a location sets its own
    if not signed:
        return [*lines, f"if (!-f {c.gate_dir / 'public'}/$cdn_video) {{ return 404; }}"]
    return [
        *lines,
        "secure_link $cdn_mac,$cdn_expires;",
        f'secure_link_md5 "$cdn_expires:$cdn_video:$cdn_kv:{c.link_key}";',
        'if ($secure_link != "1") { return 404; }',  # "": forged or tampered; "0": expired
        f"if (!-f {c.gate_dir / 'keys'}/$cdn_video/$cdn_kv) {{ return 404; }}",
    ]


def _serve(c: EdgeConfig, *, signed: bool, short: bool) -> list[str]:
    scope = "private" if signed else "public"
    if short:
        seconds, tail = MUTABLE_SECONDS, ""
    else:
        seconds, tail = (PRIVATE_SECONDS, "") if signed else (YEAR, ", immutable")
    lines = [f'add_header Cache-Control "{scope}, max-age={seconds}{tail}";']
    if isinstance(c.origin, DiskOrigin):
        return [*lines, f"alias {c.origin.media_dir}/videos/$cdn_video/$cdn_rest;"]
    return lines + _from_s3(c.origin, "1s" if short else "365d")


def _from_s3(origin: S3Origin, valid: str) -> list[str]:
    host, scheme = _origin_host(origin)
    return [
        f"proxy_pass {scheme}://clipcast_origin/{origin.bucket}/videos/$cdn_video/$cdn_rest;",
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        f"proxy_set_header Host {host};",
        "proxy_set_header Authorization '';",
        "proxy_set_header Cookie '';",
        "proxy_cache clipcast_media;",
        # One entry per object, whichever URL (public or any token) asked for it.
        "proxy_cache_key videos/$cdn_video/$cdn_rest;",
        f"proxy_cache_valid 200 {valid};",  # nothing else is kept: a 404 is asked again
        "add_header X-Cache-Status $upstream_cache_status;",
        "proxy_cache_lock on;",
        "proxy_cache_lock_timeout 10s;",
        "proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;",
        "proxy_ignore_headers Cache-Control Expires Set-Cookie;",
        "proxy_hide_header Cache-Control;",
        "proxy_hide_header Set-Cookie;",
        "proxy_hide_header x-amz-request-id;",
        "proxy_hide_header x-amz-id-2;",
        "proxy_force_ranges on;",
        "proxy_connect_timeout 3s;",
        "proxy_intercept_errors on;",
        # S3 answers 403 for a missing key to a reader who may not list the bucket.
        "error_page 403 404 = @cdn_missing;",
        "error_page 500 502 503 504 = @cdn_down;",
    ]


def _to_api(upstream: str) -> list[str]:
    return [
        f"proxy_pass http://{upstream};",
        "proxy_http_version 1.1;",
        "proxy_set_header Host $host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_request_buffering off;",
        "proxy_read_timeout 1h;",  # WebSockets (live ingest, chat) stay open
    ]


def _origin_host(origin: S3Origin) -> tuple[str, str]:
    """host:port and scheme of the S3 endpoint."""
    parts = urlsplit(origin.endpoint)
    scheme = parts.scheme or "http"
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{parts.hostname}:{port}", scheme


def _indent(lines: list[str], depth: int = 1) -> list[str]:
    pad = "    " * depth
    return [pad + line if line else line for line in lines]
