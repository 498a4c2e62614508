"""Speed of the numpy core against PyTorch on the CPU: full-batch updates per second, grid output.

Run with the project's python:  .venv/bin/python benchmarks/bench_core.py
It measures with one BLAS/torch thread, then runs itself again in a subprocess with the default
thread counts (`--threads default` runs only that section). Rates alternate numpy and torch within
each round so that both see the same machine state; every figure is the median over the rounds.
With one thread it also reports this process's CPU time, which other load on the machine barely
changes.
Targets (the issue): numpy >= 5x torch on 2-8-8-1 / 200 points, >= 2x on 2-16-16-16-1 / 1000 points,
for MLP as constructed by default (float32, against torch's default float32; float64 is printed
beside torch float64), and predict on a 200 x 200 grid < 3 ms. Printed, never asserted.
The Trainer rows show what the training panel gets: Trainer.step(1) with its per-epoch history,
without and with a test set of m/4 points.
"""

from __future__ import annotations

import os
import sys

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
SINGLE = "--threads" not in sys.argv or sys.argv[sys.argv.index("--threads") + 1] == "1"
if SINGLE:  # must happen before numpy (and torch) load their thread pools
    for var in THREAD_VARS:
        os.environ[var] = "1"

import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from explorer.core.mlp import MLP  # noqa: E402
from explorer.core.optim import Trainer  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

ROUNDS, SLICE, LR = 5, 0.3, 0.1
CASES = [([2, 8, 8, 1], 200, 5.0), ([2, 16, 16, 16, 1], 1000, 2.0)]  # sizes, m, target ratio
GRID_TARGET_MS = 3.0


def data(m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """m points in [-1, 1]^2 labelled by a circle: X (m, 2), T (m, 1)."""
    X = np.random.default_rng(seed).uniform(-1.0, 1.0, (m, 2))
    return X, (np.sum(X**2, axis=1, keepdims=True) < 0.5).astype(float)


def rate(update, seconds: float = SLICE) -> tuple[float, float]:
    """Calls of update() per second of wall-clock time and per second of this process's CPU time."""
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(10):
            update()
        n += 10
    return n / elapsed, n / (time.process_time() - cpu)


def numpy_update(sizes, X, T, **dtype):
    net = MLP(sizes, hidden="tanh", output="sigmoid", loss="bce", seed=0, **dtype)
    return lambda: net.step(X, T, LR)


def trainer_update(sizes, X, T, test: bool):
    net = MLP(sizes, hidden="tanh", output="sigmoid", loss="bce", seed=0)
    X_test, T_test = data(len(X) // 4, seed=1) if test else (None, None)
    trainer = Trainer(net, X, T, LR, X_test=X_test, T_test=T_test)
    return lambda: trainer.step(1)


def torch_update(sizes, X, T, dtype):
    torch.manual_seed(0)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers[:-1]).to(dtype)
    loss_fn, opt = torch.nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=LR)
    Xt, Tt = torch.tensor(X, dtype=dtype), torch.tensor(T, dtype=dtype)

    def update():
        opt.zero_grad()
        loss = loss_fn(model(Xt), Tt)
        loss.backward()
        opt.step()

    return update


def training_rows() -> list[tuple]:
    """(case, median rates per backend) per network, the backends alternating within each round."""
    rows = []
    for sizes, m, target in CASES:
        X, T = data(m)
        updates = {"numpy": numpy_update(sizes, X, T),
                   "numpy f64": numpy_update(sizes, X, T, dtype="float64"),
                   "Trainer": trainer_update(sizes, X, T, test=False),
                   "Trainer+test": trainer_update(sizes, X, T, test=True)}
        if torch is not None:
            updates["torch f64"] = torch_update(sizes, X, T, torch.float64)
            updates["torch f32"] = torch_update(sizes, X, T, torch.float32)
        for update in updates.values():
            rate(update, 0.1)  # warm up
        rounds = {name: [] for name in updates}
        for _ in range(ROUNDS):
            for name, update in updates.items():
                rounds[name].append(rate(update))
        wall = {k: statistics.median(w for w, _ in v) for k, v in rounds.items()}
        cpu = {k: statistics.median(c for _, c in v) for k, v in rounds.items()}
        rows.append((sizes, m, target, wall, cpu))
    return rows


def grid_ms() -> dict[str, tuple[float, float]]:
    """Median wall and CPU ms of a 2-8-8-1 net's output on a 200 x 200 grid, shape (40000, 2)."""
    g = np.linspace(-1.5, 1.5, 200)
    grid = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    net = MLP([2, 8, 8, 1], hidden="tanh", output="sigmoid", loss="bce", seed=0)
    net64 = MLP([2, 8, 8, 1], hidden="tanh", output="sigmoid", loss="bce", seed=0, dtype="float64")
    grid32 = grid.astype(np.float32)
    calls = {
        "numpy predict": lambda: net.predict(grid),
        "numpy forward (panel)": lambda: net.forward(grid32),
        "numpy f64 predict": lambda: net64.predict(grid),
    }
    if torch is not None:
        model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                                    torch.nn.Tanh(), torch.nn.Linear(8, 1), torch.nn.Sigmoid())
        gt = torch.tensor(grid, dtype=torch.float32)

        def torch_predict():
            with torch.no_grad():
                return model(gt)

        calls["torch f32 no_grad"] = torch_predict
    out = {}
    for name, call in calls.items():
        call()
        wall, cpu = [], []
        for _ in range(30):
            start, start_cpu = time.perf_counter(), time.process_time()
            call()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        out[name] = (1e3 * statistics.median(wall), 1e3 * statistics.median(cpu))
    return out


def blas_info() -> str:
    env = ", ".join(f"{k}={v}" for k, v in os.environ.items() if k.startswith("OPENBLAS")) or "none"
    try:
        from threadpoolctl import threadpool_info

        pools = "; ".join(
            f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} "
            f"threads={p.get('num_threads')}"
            for p in threadpool_info()
        )
    except ImportError:
        pools = "threadpoolctl not installed"
    return f"OPENBLAS env: {env}\nthread pools: {pools}"


def print_rates(rows, which: int, clock: str) -> None:
    print(f"\nfull-batch updates per second by {clock}; median of {ROUNDS} rounds of ~{SLICE} s")
    print("numpy = MLP as constructed by default (float32) vs torch32; numpy f64 vs torch64")
    print(f"{'network':<16}{'m':>6}{'numpy':>9}{'torch32':>9}{'ratio':>8}{'np f64':>9}"
          f"{'torch64':>9}{'ratio':>8}{'target':>8}  verdict")
    for row in rows:
        sizes, m, target, r = row[0], row[1], row[2], row[3 + which]
        line = f"{'-'.join(map(str, sizes)):<16}{m:>6}"
        if torch is None:
            print(line + f"{r['numpy']:>9.0f}{'':>17}{r['numpy f64']:>9.0f}")
            continue
        r32, r64 = r["numpy"] / r["torch f32"], r["numpy f64"] / r["torch f64"]
        verdict = "met" if r32 >= target else "MISSED"
        verdict += f" (f64: {'met' if r64 >= target else 'missed'})"
        print(line + f"{r['numpy']:>9.0f}{r['torch f32']:>9.0f}{r32:>7.1f}x{r['numpy f64']:>9.0f}"
              f"{r['torch f64']:>9.0f}{r64:>7.1f}x{target:>7.0f}x  {verdict}")
    print(f"{'':<22}{'MLP.step':>9}{'Trainer':>9}{'ratio':>8}{'+test':>9}{'ratio':>8}"
          "   (Trainer.step(1), default MLP)")
    for row in rows:
        sizes, m, r = row[0], row[1], row[3 + which]
        print(f"{'-'.join(map(str, sizes)):<16}{m:>6}{r['numpy']:>9.0f}{r['Trainer']:>9.0f}"
              f"{r['Trainer'] / r['numpy']:>7.2f}x{r['Trainer+test']:>9.0f}"
              f"{r['Trainer+test'] / r['numpy']:>7.2f}x")


def report(title: str, cpu_clock: bool) -> None:
    print(f"\n== {title} ==")
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if torch is not None:
        print(f"torch threads: {torch.get_num_threads()}")
    print(blas_info())
    if torch is None:
        print("torch is not installed: skipping the torch comparison "
              "(pip install torch into the venv to compare)")
    rows = training_rows()
    print_rates(rows, 0, "wall clock")
    if cpu_clock:
        print_rates(rows, 1, "this process's CPU time (closer to a quiet machine)")
    print("\n2-8-8-1 on a 200 x 200 grid, shape (40000, 2): median ms of 30 calls")
    print(f"{'':<24}{'wall':>8}{'cpu':>8}")
    for name, (wall, cpu) in grid_ms().items():
        ms = cpu if cpu_clock else wall
        verdict = f"  target < {GRID_TARGET_MS:g} ms: {'met' if ms < GRID_TARGET_MS else 'MISSED'}"
        print(f"{name:<24}{wall:>8.2f}{cpu:>8.2f}{verdict if name == 'numpy predict' else ''}")


def main() -> None:
    if SINGLE:
        if torch is not None:
            torch.set_num_threads(1)
        report("one thread (OPENBLAS/OMP_NUM_THREADS=1, torch.set_num_threads(1))", True)
        if "--threads" not in sys.argv:
            sys.stdout.flush()
            env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
            subprocess.run([sys.executable, __file__, "--threads", "default"], check=True, env=env)
    else:
        report("default thread counts (CPU time would add up the threads: wall clock only)", False)


if __name__ == "__main__":
    main()
