"""The CDN's consumer group name is valid on every bus, whatever the node is called."""

from __future__ import annotations

from clipcast.adapters.bus.redelivery import check_names
from clipcast.cdn.wiring import cdn_group


def test_a_short_node_name_is_kept_readable() -> None:
    assert cdn_group("web-1:/srv/clipcast") == "cdn-web-1-srv-clipcast"


def test_a_long_node_name_gives_a_valid_group_of_its_own() -> None:
    deep = "host:/tmp/pytest-of-root/pytest-12/test_a_rather_long_test_name0/data"
    other = deep.replace("name0", "name1")
    group = cdn_group(deep)
    check_names(group, ["video.updated"])  # raises on a name some bus cannot carry
    assert len(group) <= 64
    assert group.startswith("cdn-host-tmp-pytest")
    assert group != cdn_group(other)
