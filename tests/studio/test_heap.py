"""The web process settles its garbage collector once start-up is done (studio.heap)."""

from __future__ import annotations

import gc
import subprocess
import sys

from studio import heap


def test_settle_freezes_what_start_up_made_and_makes_full_collections_rare():
    threshold = gc.get_threshold()
    # CPython's defaults, as a fresh process has them (an earlier test may have imported the
    # ASGI application, which settles this process's heap too).
    gc.set_threshold(700, 10, 10)
    try:
        kept = [[] for _ in range(1000)]  # objects start-up would have made
        heap.settle()
        assert gc.get_freeze_count() >= len(kept)
        young, middle, full = gc.get_threshold()
        assert (young, middle) == (700, 10)
        assert full == heap.FULL_AFTER > 10
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_the_asgi_application_settles_the_heap_after_loading_the_engines():
    """Imported as Daphne imports it: the engine libraries are loaded, then frozen."""
    probe = (
        "import gc, sys, studio.asgi; "
        "print(gc.get_freeze_count(), gc.get_threshold()[2], 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    frozen, full, torch_loaded = int(out[0]), int(out[1]), out[2] == "True"
    assert full == heap.FULL_AFTER
    assert frozen > 100_000  # the model libraries' objects among them
    assert torch_loaded
