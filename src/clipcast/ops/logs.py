"""Structured (JSON) logs that carry the request id or job id of the work they describe."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the ids in context."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, var in (("request_id", request_id), ("job_id", job_id)):
            if (value := var.get()) is not None:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class QuietMedia(logging.Filter):
    """Drops uvicorn's access line of a media request answered well (`/cdn/…`, below 400).

    A player fetches a clip every two seconds per rendition, so those lines would be most of
    the log and a fifth of a media request's cost; refusals and errors are still logged, and
    every other request. CLIPCAST_LOG_MEDIA_REQUESTS=true keeps them all."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client, method, path, http version, status)
        if isinstance(args, tuple) and len(args) == 5:
            path, status = args[2], args[4]
            if isinstance(path, str) and path.startswith("/cdn/") and isinstance(status, int):
                return status >= 400
        return True


def configure_logging(level: str = "INFO", *, media_requests: bool = False) -> None:
    """Send clipcast's and uvicorn's logs through the JSON formatter on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    access.filters[:] = [] if media_requests else [QuietMedia()]
