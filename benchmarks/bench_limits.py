"""The slowest single request of each panel at its largest allowed settings (issue #7, part 2).

Run with the project's python:  .venv/bin/python benchmarks/bench_limits.py [rounds]
The requests are those of tests/panels/test_limits.py (largest_requests): each is set up afresh,
timed once per round, and the median is printed with the load average (other work on the machine
slows every figure; memory is checked by the test). Target: about 1 s each. Printed,
never asserted.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.0  # seconds


def load_requests():
    """largest_requests() from the limits test, loaded by path (tests/ is not a package)."""
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("test_limits",
                                                  ROOT / "tests" / "panels" / "test_limits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.largest_requests()


def measure(make, rounds: int) -> tuple[float, str]:
    """Median seconds of the request over `rounds` fresh set-ups, and the panel's message."""
    times = []
    for _ in range(rounds):
        panel, request = make()
        start = time.perf_counter()
        request()
        times.append(time.perf_counter() - start)
    return statistics.median(times), panel.last_message[0]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores); {rounds} rounds; target about {TARGET:g} s")
    print(f"{'panel':<16}{'median s':>10}   message")
    for name, make in load_requests().items():
        seconds, message = measure(make, rounds)
        flag = "  <- over target" if seconds > 1.5 * TARGET else ""
        print(f"{name:<16}{seconds:>10.3f}   {message[:70]}{flag}")
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
