"""Loaded by the bench's server processes (PYTHONPATH): note every garbage-collector pass longer than
5 ms, with its generation, in the file named by PHONGHOP_BENCH_GC_LOG (one line per pass)."""

import gc
import os
import time

_path = os.environ.get("PHONGHOP_BENCH_GC_LOG")
if _path:
    _out = open(f"{_path}.{os.getpid()}", "a", buffering=1)  # noqa: SIM115 - open for the process's life
    _started = [0.0]

    def _note(phase: str, info: dict) -> None:
        if phase == "start":
            _started[0] = time.perf_counter()
            return
        took = (time.perf_counter() - _started[0]) * 1000
        if took > 5:
            _out.write(f"{time.time():.3f} {info['generation']} {took:.1f}\n")

    gc.callbacks.append(_note)
