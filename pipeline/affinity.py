"""A core for each process of a cycle while its pool runs: the event loop's and every pool process's (Linux).

In a cold cycle the event loop's process and the pool's processes each keep a core busy. Left to
the scheduler, they moved between the cores whenever anything else woke up (the executor's threads,
another program), and each move left a process on a core whose caches held the other's work. On two
cores, each process kept on a core of its own made a 1,000-feed cold cycle 6-14% shorter in 8 of 9
alternating pairs, the event loop's process using 4-16% less CPU (benchmarks/README.md, finding 61).
So while a pool runs, the thread that runs the event loop keeps to the core it is on, and the pool's
processes to the other cores this process may use (`os.sched_getaffinity`: `taskset`, a container's
cpuset). Only when there is a core for each: with fewer, processes must share cores, and the
scheduler shares them best. The event loop thread gets its cores back when the pool ends; the
threads it starts meanwhile (the executor's, the loop's own) end with the cycle. Workers sharing one
machine's cores without a cpuset each may keep to the same ones (two on two cores were no slower for
it): `fetch.pin_cores = false` leaves them to the scheduler.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CorePlan:
    """The cores of a cycle's processes: the event loop thread's one, and the pool processes' share of the rest."""

    loop: frozenset[int]
    pool: frozenset[int]


def plan_cores(processes: int) -> CorePlan | None:
    """Where a pool of `processes` processes and this thread's event loop run, or None where they must share cores."""
    cores = thread_cores()
    if cores is None or processes < 1 or len(cores) < processes + 1:
        return None
    here = current_core()
    loop = here if here in cores else min(cores)
    return CorePlan(loop=frozenset({loop}), pool=cores - {loop})


def current_core() -> int | None:
    """The core the calling thread last ran on, None where the system does not say."""
    try:
        with open("/proc/thread-self/stat", encoding="ascii") as stat:
            # field 39, `processor`; the command name before it may hold spaces but ends at the last ")"
            return int(stat.read().rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return None


def thread_cores() -> frozenset[int] | None:
    """The cores the calling thread may run on, None where the system has no affinity call."""
    try:
        return frozenset(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def keep_on(cores: frozenset[int]) -> frozenset[int] | None:
    """Run the calling thread (and the threads and processes it starts from now) on `cores`; its cores before.

    None, with nothing changed, where the system refuses or has no affinity call.
    """
    before = thread_cores()
    if before is None:
        return None
    try:
        os.sched_setaffinity(0, cores)
    except (OSError, ValueError):  # a core this thread may not use, or none at all
        return None
    return before


def give_back(cores: frozenset[int] | None) -> None:
    """Undo `keep_on`: the calling thread may run on `cores` again (nothing when None)."""
    if cores is not None:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.sched_setaffinity(0, cores)
