"""Run one function per series directory in separate processes (`-j N`), results in input order.

Each series is independent (its own series.yaml and upstream clone), so the work fans out
over a process pool; git already runs in its own processes, and separate interpreters keep
one series' Python work from waiting on another's.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from patchq import console

Item = TypeVar("Item")
Result = TypeVar("Result")


def default_jobs() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def fan_out(
    items: Sequence[Item],
    work: Callable[[Item], Result],
    *,
    jobs: int,
    description: str,
) -> list[Result]:
    """`work(item)` for every item, `jobs` at a time in worker processes; one process needs
    no pool. `work` must turn every expected failure into a result (it runs far away)."""
    jobs = max(1, min(jobs, len(items)))
    if jobs == 1:
        with console.progress(description, total=len(items)) as bar:
            return [_advancing(bar, work(item)) for item in items]
    # fork: the workers inherit the settings (-v, -q) and the imports already made. The pool
    # forks every worker on the first submit, before its own thread and the progress bar's
    # start, so no lock can be held across the fork.
    context = multiprocessing.get_context("fork")
    results: dict[int, Result] = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(work, item): i for i, item in enumerate(items)}
        with console.progress(description, total=len(items)) as bar:
            for future in as_completed(futures):
                results[futures[future]] = _advancing(bar, future.result())
    return [results[i] for i in range(len(items))]


def _advancing(bar: Any, result: Result) -> Result:
    bar.advance()
    return result
