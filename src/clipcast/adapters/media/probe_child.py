"""Entry point of the probe child process.

`python -m clipcast.adapters.media.probe_child PATH FORMAT LIMITS_JSON` prints one JSON
object: {"result": ProbeResult} or {"rejected": reason}.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

import av.logging

from clipcast.adapters.media.probe import CONTAINERS, MediaRejected, ProbeLimits
from clipcast.adapters.media.pyav_inspect import inspect_file

# A header that slips past the caps can still make a decoder allocate wildly; past this much
# address space the child fails (the file is refused) instead of the worker's host swapping.
_ADDRESS_SPACE_BYTES = 2 * 1024**3


def main(argv: list[str]) -> int:
    path, container, limits_json = argv
    if container not in CONTAINERS:  # the parent sniffed it; nothing else may be pinned
        raise SystemExit(f"container {container!r} is not allow-listed")
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE_BYTES, _ADDRESS_SPACE_BYTES))
    av.logging.set_level(av.logging.ERROR)  # so the last error can explain a rejection
    limits = ProbeLimits.from_dict(json.loads(limits_json))
    try:
        result = inspect_file(Path(path), container, limits)
    except MediaRejected as rejected:
        print(json.dumps({"rejected": rejected.reason}))
    else:
        print(json.dumps({"result": result.to_dict()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
