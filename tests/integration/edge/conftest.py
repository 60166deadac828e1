"""The privacy matrix's world (alice's four videos, her group, five callers) served by a real
nginx edge rendered by `clipcast edge nginx-config`'s renderer, beside the embedded route."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from clipcast.cdn.service import every_access
from clipcast.cdn.signing import link_key
from clipcast.devserver import free_port
from clipcast.edge.gate import Gate
from clipcast.edge.nginx import DiskOrigin, EdgeConfig, render
from clipcast.edge.process import Nginx, find_nginx, running_nginx
from tests.integration.privacy.world import World, database, running_world
from tests.media import make_video
from tests.services import require


@dataclass
class Edge:
    world: World
    nginx: Nginx
    gate: Gate

    def at_edge(self, url: str) -> str:
        """The same media URL, asked of the edge instead of the API process."""
        return self.nginx.url + url.removeprefix("http://testserver")

    async def refresh_gate(self) -> None:
        """What `worker --role edge` does on start and on each event: the gate from SQL."""
        self.gate.sync(await every_access(self.world.adapters.sessions))


def edge_config(tmp: Path, port: int, media_dir: Path, secret: bytes, gate: Path) -> str:
    return render(
        EdgeConfig(
            listen=f"127.0.0.1:{port}",
            api=(f"127.0.0.1:{free_port()}",),  # nothing there: these tests ask for media only
            origin=DiskOrigin(media_dir=media_dir),
            link_key=link_key(secret),
            gate_dir=gate,
            state_dir=tmp,
            worker_processes="1",
            # pytest's temp dirs are private to their owner, which the workers must read as.
            user="root" if os.geteuid() == 0 else None,
        )
    )


def require_nginx() -> str:
    """nginx's path; skips without it on a laptop, fails in CI (`make test` installs it)."""
    exe = find_nginx()
    require(exe is not None, "nginx (apt-get install nginx-light; `make test` does)")
    assert exe is not None
    return exe


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    return require_nginx()


@pytest.fixture(scope="module")
def edge_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("edge-media") / "v.mp4", seconds=3, size="320x240")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def edge(
    tmp_path_factory: pytest.TempPathFactory, edge_video: Path, nginx_binary: str
) -> AsyncIterator[Edge]:
    tmp = tmp_path_factory.mktemp("edge-world")
    async with database("sqlite", tmp) as url, running_world(url, tmp, edge_video) as world:
        gate = Gate(tmp / "gate")
        gate.create()
        settings = world.adapters.settings
        port = free_port()
        text = edge_config(
            tmp / "nginx", port, settings.media_dir, world.adapters.secret, gate.root
        )
        with running_nginx(text, tmp / "nginx", port) as nginx:
            built = Edge(world, nginx, gate)
            await built.refresh_gate()
            yield built
