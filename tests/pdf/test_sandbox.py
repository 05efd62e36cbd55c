"""The sandbox: a fresh child per call, its limits, and what each way of dying becomes."""

from __future__ import annotations

from pathlib import Path

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


# Confinement (meetings/pdf/confine.py): what a child taken over by a crafted file cannot do ------------------

CONFINED = Limits(cpu_seconds=5, memory_mb=512, wall_seconds=30)


def test_a_child_cannot_open_a_socket():
    assert sandbox.run(jobs.open_socket, limits=CONFINED) == {"refused": "PermissionError"}


def test_a_child_has_no_network_interface_but_loopback():
    assert sandbox.run(jobs.network_interfaces, limits=CONFINED) == ["lo"]


def test_a_child_writes_only_in_its_folder(tmp_path):
    folder = tmp_path / "job"
    folder.mkdir()
    inside, outside = folder / "out.pdf", tmp_path / "outside.txt"
    assert sandbox.run(jobs.write, str(inside), limits=CONFINED, write_to=[folder]) == {"written": True}
    assert sandbox.run(jobs.write, str(outside), limits=CONFINED, write_to=[folder]) == {"refused": "PermissionError"}
    assert not outside.exists()
    # Nor anywhere else: the data directory, /tmp.
    from django.conf import settings

    for elsewhere in (settings.DATA_DIR / "planted.txt", Path("/tmp") / f"planted-{tmp_path.name}.txt"):
        assert sandbox.run(jobs.write, str(elsewhere), limits=CONFINED, write_to=[folder])["refused"]
        assert not elsewhere.exists()


def test_a_child_cannot_read_the_secrets_of_the_data_directory(tmp_path, settings):
    data = tmp_path / "data"
    data.mkdir()
    secret = data / "ballot_secret"
    secret.write_text("22" * 32)
    upload = tmp_path / "upload.pdf"
    upload.write_bytes(b"%PDF-1.7")
    settings.MEDIA_ROOT = data / "files"
    assert sandbox.run(jobs.read, str(secret), limits=CONFINED) == {"refused": "PermissionError"}
    assert sandbox.run(jobs.read, str(upload), limits=CONFINED) == {"refused": "PermissionError"}
    assert sandbox.run(jobs.read, str(upload), limits=CONFINED, read_from=[upload]) == {"read": 8}  # named


def test_a_child_may_be_allowed_one_file_only(tmp_path):
    target = tmp_path / "stamped.pdf"
    target.touch()
    assert sandbox.run(jobs.write, str(target), limits=CONFINED, write_to=[target]) == {"written": True}
    assert sandbox.run(jobs.write, str(tmp_path / "beside.pdf"), limits=CONFINED, write_to=[target])["refused"]


def test_a_child_runs_no_program_and_cannot_lift_its_limits():
    assert sandbox.run(jobs.run_program, limits=CONFINED) == {"refused": "PermissionError"}
    assert "refused" in sandbox.run(jobs.raise_memory_limit, limits=CONFINED)


def test_a_child_has_a_bounded_number_of_open_files():
    from meetings.pdf import confine

    result = sandbox.run(jobs.open_many_files, 1000, limits=CONFINED)
    assert result["refused"] == "OSError" and result["opened"] < confine.OPEN_FILES


def test_a_child_cannot_signal_the_server():
    import os

    assert "refused" in sandbox.run(jobs.signal_process, os.getpid(), limits=CONFINED)


def test_the_render_workers_are_confined_too(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    pages = tmp_path / "pages"
    pages.mkdir()
    with ProcessPoolExecutor(max_workers=1, mp_context=sandbox.context(), initializer=jobs.start_render_worker,
                             initargs=(512 * 1024 * 1024, str(pages))) as pool:
        assert pool.submit(jobs.open_socket).result(timeout=60) == {"refused": "PermissionError"}
        assert pool.submit(jobs.write, str(pages / "1.jpg")).result(timeout=60) == {"written": True}
        assert pool.submit(jobs.write, str(tmp_path / "x.jpg")).result(timeout=60) == {"refused": "PermissionError"}


def test_without_confinement_the_child_is_only_limited():
    from dataclasses import replace

    assert sandbox.run(jobs.open_socket, limits=replace(CONFINED, confine=False)) == {"opened": True}
