"""The page's copy of the chat sync rule (static/js/live_chat_sync.js), run in Node against the
cases the Python rule is held to: shown at the sender's position, never earlier; each message
once; a deleted one never."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.services import in_ci

MODULE = Path(__file__).parents[3] / "src/clipcast/web/static/js/live_chat_sync.js"

SCRIPT = """
import { ChatQueue, due } from "%(module)s";
const out = {};
out.due = [
  due({index: 7, offset: 1.25}, {index: 7, offset: 1.249}),
  due({index: 7, offset: 1.25}, {index: 6, offset: 1.9}),
  due({index: 7, offset: 1.25}, {index: 7, offset: 1.25}),
  due({index: 7, offset: 1.25}, {index: 8, offset: 0}),
  due({index: 7, offset: 1.25}, null),
];
const q = new ChatQueue();
q.add({id: "b", index: 5, offset: 1.5});
q.add({id: "a", index: 5, offset: 0.2});
q.add({id: "c", index: 6, offset: 0});
out.duplicate = q.add({id: "a", index: 5, offset: 0.2});
q.drop("c");
q.drop("d");
out.late = q.add({id: "d", index: 5, offset: 0.1});
out.steps = [null, {index: 5, offset: 0.1}, {index: 5, offset: 1.6}, {index: 9, offset: 0}]
  .map((at) => q.release(at).map((m) => m.id));
let seed = 12;
const random = () => ((seed = (seed * 16807) %% 2147483647) / 2147483647);
const r = new ChatQueue();
let playing = {index: 0, offset: 0};
let early = 0, shown = 0;
for (let n = 0; n < 300; n++) {
  r.add({id: String(n), index: Math.floor(random() * 30), offset: random() * 2});
  playing = {index: playing.index + (random() < 0.1 ? 1 : 0), offset: random() * 2};
  for (const m of r.release(playing)) {
    shown += 1;
    const same = m.index === playing.index;
    if (m.index > playing.index || (same && m.offset > playing.offset)) early += 1;
  }
}
out.random = {early, accounted: shown + r.size};
console.log(JSON.stringify(out));
"""


def test_the_page_holds_messages_until_playback_reaches_them() -> None:
    node = shutil.which("node")
    if node is None:
        if in_ci():
            pytest.fail("node is required in CI to test the page's chat rule")
        pytest.skip("node is not installed")
    script = SCRIPT % {"module": MODULE.as_uri()}
    done = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, check=True, timeout=30
    )
    out = json.loads(done.stdout)
    assert out["due"] == [False, False, True, True, False]
    assert out["duplicate"] is False  # from the socket and from a document: once
    assert out["late"] is False  # deleted before it came
    assert out["steps"] == [[], [], ["a", "b"], []]  # "c" was deleted
    assert out["random"] == {"early": 0, "accounted": 300}
