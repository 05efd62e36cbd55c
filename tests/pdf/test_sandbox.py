"""The sandbox: a fresh child per call, its limits, and what each way of dying becomes."""

from __future__ import annotations

import pytest

from meetings.pdf import sandbox
from meetings.pdf.limits import Limits

from . import jobs

LIMITS = Limits(cpu_seconds=1, memory_mb=256, wall_seconds=5)


def test_result_comes_back_as_plain_data():
    assert sandbox.run(jobs.echo, [1, "hai"], limits=LIMITS) == {"value": [1, "hai"], "text": "Quyết định"}


def test_child_runs_under_the_limits():
    seen = sandbox.run(jobs.limits_seen, limits=LIMITS)
    assert seen == {"as": 256 * 1024 * 1024, "cpu": 1, "core": 0}


def test_cpu_limit():
    # A wall-clock limit far above the CPU limit: on a busy machine the child gets a fraction of a core, and a
    # tight wall limit would end it first (a timing outcome, not the CPU limit this test is about).
    with pytest.raises(sandbox.TimeLimit) as caught:
        sandbox.run(jobs.spin, limits=Limits(cpu_seconds=1, memory_mb=256, wall_seconds=120))
    assert caught.value.kind == "cpu"


def test_wall_clock_limit():
    with pytest.raises(sandbox.TimeLimit) as caught:
        sandbox.run(jobs.sleep, limits=Limits(wall_seconds=0.5))
    assert caught.value.kind == "wall"


def test_memory_limit():
    with pytest.raises(sandbox.MemoryLimit):
        sandbox.run(jobs.allocate, 512, limits=LIMITS)


def test_crash():
    with pytest.raises(sandbox.Crashed):
        sandbox.run(jobs.segfault, limits=LIMITS)


def test_exception_comes_back_as_text():
    with pytest.raises(sandbox.ChildError) as caught:
        sandbox.run(jobs.fail, limits=LIMITS)
    assert (caught.value.type_name, caught.value.text) == ("ValueError", "hỏng")


def test_functions_from_the_entry_script_are_refused():
    def local():
        return 1

    local.__module__ = "__main__"
    with pytest.raises(ValueError):
        sandbox.run(local, limits=LIMITS)
