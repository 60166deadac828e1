"""Each node's own consumer group (CDN cache, edge gate, search index) is a valid name on
every bus, whatever the node is called; a long name once kept the edge role from starting."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clipcast.adapters.bus.redelivery import check_names
from clipcast.cdn.wiring import cdn_group
from clipcast.edge.worker import edge_group
from clipcast.runtime import search_group

NAMERS: list[tuple[str, Callable[[str], str]]] = [
    ("cdn", cdn_group),
    ("edge", edge_group),
    ("search", search_group),
]


@pytest.mark.parametrize(("kind", "name"), NAMERS)
def test_a_short_node_name_is_kept_readable(kind: str, name: Callable[[str], str]) -> None:
    assert name("web-1:/srv/clipcast") == f"{kind}-web-1-srv-clipcast"


@pytest.mark.parametrize(("kind", "name"), NAMERS)
def test_a_long_node_name_gives_a_valid_group_of_its_own(
    kind: str, name: Callable[[str], str]
) -> None:
    deep = "vm:/tmp/pytest-of-root/pytest-1/test_a_viewer_of_nginx_alone_p0/procs/edge"
    other = deep.replace("p0", "p1")
    group = name(deep)
    check_names(group, ["video.updated"])  # raises on a name some bus cannot carry
    assert len(group) <= 64
    assert group.startswith(f"{kind}-vm-tmp-pytest")
    assert group != name(other)


def test_a_dotted_host_name_stays_the_search_group_it_was() -> None:
    """Upgrading must not move a search node to a new group (it would re-read the stream)."""
    assert search_group("search.example.org") == "search-search-example-org"
