"""The cyclic collector is off while an hour is processed, and what that left behind is collected."""

import gc
import weakref

from platform_assets.telemetry.gc_pause import cyclic_gc_paused
import pytest

pytestmark = pytest.mark.fast  # no external service: make test-fast


class Node:
    pass


def test_a_cycle_made_while_paused_is_collected_when_the_pause_ends():
    with cyclic_gc_paused():
        assert not gc.isenabled()
        node = Node()
        node.itself = node
        ref = weakref.ref(node)
        del node
        assert ref() is not None
    assert gc.isenabled() and ref() is None
