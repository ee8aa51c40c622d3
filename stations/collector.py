"""Python's cyclic garbage collector held off while a file import builds and writes its plan.

A 5,000-row import creates about 100,000 objects that all live until it ends (cells, cleaned values,
station plans, the rows sent to the database). Every 700 new objects start a collection, and as they pile
up the collector also walks the whole heap, Django's own 90,000 objects with it: on PostgreSQL at scale
about 190 collections took 90–200 ms of the import's 0.35–0.5 s of CPU and freed nothing, since nothing
the import holds is garbage before it ends. Paused, memory is still freed by reference counting as it
always is; only reference cycles wait for the first collection after the import.
"""

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """Hold off automatic garbage collection within the block, and restore it after.

    Where the collector is already off (someone else's pause, or a process that runs without it), the
    block leaves it so: it never turns on what it did not turn off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
