"""Masked against dense inference, and minprune's forward pass against a bare numpy loop.

A pruned weight is 0.0 in ``W`` (the invariant of ``minprune.model``), so a masked
model runs the same matrix multiplies as a dense one, with no ``W * mask`` per
pass. This script measures what that leaves, for ``MLP([784, width, width, 10])``
with width 256 and 1024, at batch 1 and 256, float32:

- masked / dense: ``model.forward(X)`` of a model with 90% of its weights pruned
  (global magnitude) against the same call on the dense model (target <= 1.1);
- dense forward / bare loop: ``model.forward(X)`` as a user calls it (input checks
  and the one-thread BLAS policy included) against the bare loop
  ``a = relu(a @ W + b)`` over the same arrays, run under a one-thread BLAS limit
  set once outside the timing (target <= 1.3 at batch 1).

Times are process CPU time (``--timer wall`` for wall time): on a shared machine
the operating system pauses a process for others, which wall time counts. Every
round times each variant for about 50 ms in turn (the order alternates), and a
ratio is the median over rounds of the ratio within a round.

    python benchmarks/masked_speed.py              # ~1 minute
    python benchmarks/masked_speed.py --rounds 41  # steadier on a busy machine
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

import minprune
from train_speed import cpu_name, load

WIDTHS = (256, 1024)
BATCHES = (1, 256)
TARGETS = {"masked": 1.1, "bare": 1.3}
clock = time.process_time


def bare_loop(model):
    """The same matmuls as ``model.forward`` with nothing around them."""
    params = [(layer.W, layer.b) for layer in model.layers]
    last = len(params) - 1

    def run(X):
        a = X
        for i, (W, b) in enumerate(params):
            z = a @ W
            z += b
            a = z if i == last else np.maximum(z, 0, out=z)
        return a
    return run


def per_call(fn, X, budget):
    """CPU seconds per call of fn(X), over about `budget` seconds."""
    fn(X)
    t0, n = clock(), 0
    while True:
        fn(X)
        n += 1
        elapsed = clock() - t0
        if elapsed >= budget and n >= 3:
            return elapsed / n


def bench(width, batch, rounds, budget):
    dense = minprune.MLP([784, width, width, 10], seed=0)
    masked = dense.copy()
    minprune.prune_weights(masked, 0.9, scope="global")
    X = np.random.default_rng(0).standard_normal((batch, 784)).astype(np.float32)
    bare = bare_loop(dense)
    np.testing.assert_allclose(bare(X), dense.forward(X), rtol=1e-5, atol=1e-5)

    def bare_one_thread(X):  # the limit is set once around the timing, not per call
        with threadpool_limits(limits=1, user_api="blas"):
            return per_call(bare, X, budget)
    variants = [lambda X: per_call(dense.forward, X, budget),
                lambda X: per_call(masked.forward, X, budget), bare_one_thread]
    for run in variants:  # warm-up
        run(X)
    times = np.empty((rounds, 3))
    for r in range(rounds):
        for k in ([0, 1, 2] if r % 2 == 0 else [2, 1, 0]):
            times[r, k] = variants[k](X)
    med = np.median(times, axis=0)
    masked_ratio = float(np.median(times[:, 1] / times[:, 0]))
    bare_ratio = float(np.median(times[:, 0] / times[:, 2]))
    print(f"{width:>5} {batch:>5} {med[2] * 1e6:>10.1f} {med[0] * 1e6:>10.1f} "
          f"{med[1] * 1e6:>11.1f} {masked_ratio:>14.3f} {bare_ratio:>14.3f}")
    return masked_ratio, bare_ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--budget", type=float, default=0.05,
                        help="seconds per variant per round")
    parser.add_argument("--timer", choices=["cpu", "wall"], default="cpu")
    args = parser.parse_args()
    global clock
    clock = time.process_time if args.timer == "cpu" else time.perf_counter
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; timer: {args.timer}; "
          f"load average {load()}")
    header = (f"{'width':>5} {'batch':>5} {'bare us':>10} {'dense us':>10} {'masked us':>11} "
              f"{'masked/dense':>14} {'dense/bare':>14}")
    print(header)
    print("-" * len(header))
    results = {(w, b): bench(w, b, args.rounds, args.budget) for w in WIDTHS for b in BATCHES}
    print(f"targets: masked/dense <= {TARGETS['masked']} at batch 1 and 256; dense/bare <= "
          f"{TARGETS['bare']} at batch 1")
    for (w, b), (m, d) in results.items():
        verdicts = [f"masked/dense {m:.3f} {'met' if m <= TARGETS['masked'] else 'NOT met'}"]
        if b == 1:
            verdicts.append(f"dense/bare {d:.3f} {'met' if d <= TARGETS['bare'] else 'NOT met'}")
        print(f"  width {w:>4}, batch {b:>3}: " + "; ".join(verdicts))
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
