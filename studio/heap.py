"""The web process's garbage collector, settled once its start-up is done.

The web process imports the engine registry and the voices before it listens (the model and
speech libraries: about 470,000 objects), then holds every open WebSocket. CPython's full
collection walks every one of them, stopping the whole process: under bench/load.py one Daphne
stopped 14 times in two minutes for 456 ms at the median (640 ms at most), every page and
every live message in flight waiting. Moving what start-up made out of the collector's sight
(`gc.freeze`) and running a full collection only after 100 middle-generation ones instead of
10 took that to 5 stops of 352 ms (1.6 s in all, against 6.3 s).
"""

from __future__ import annotations

import gc

# A full collection is considered after this many collections of the middle generation
# (CPython's default is 10); the first two thresholds stay CPython's.
FULL_AFTER = 100


def settle() -> None:
    """Collect what start-up left behind, freeze what remains, and make full collections rare."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_AFTER)
