"""The cost of fit's divergence guard: per step, a copy of every W and b (put back when the
next batch's loss is not finite) and numpy's floating-point errors held back during the
forward-backward pass (dropped when a DivergenceError follows, warned otherwise).

A 64-256-256-10 ReLU network on digits (1437 training samples, standardised), Adam,
one epoch per run, one BLAS thread (fit's default). Runs alternate between fit as it is
and fit with the guard's two pieces replaced by no-ops, so that load from other processes
falls on both alike; the ratio is the median of the ratios within a repeat. Process CPU time.

    python benchmarks/divergence_guard.py               # batch 32 and 128, 15 repeats
    python benchmarks/divergence_guard.py --repeats 31
"""
from __future__ import annotations

import argparse
import contextlib
import time
from unittest import mock

import numpy as np

import minprune
from minprune import training
from minprune.datasets import load_digits


class _NoErrors(contextlib.nullcontext):
    seen = ()


def epoch(data, batch_size, seed):
    model = minprune.MLP([64, 256, 256, 10], seed=seed)
    start = time.process_time()
    minprune.fit(model, data.X_train, data.y_train, epochs=1, batch_size=batch_size, seed=seed,
                 progress=False)
    return time.process_time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    data = load_digits(seed=0)
    for batch_size in (32, 128):
        epoch(data, batch_size, 0)  # warm-up
        guarded, bare = [], []
        for r in range(args.repeats):
            guarded.append(epoch(data, batch_size, r))
            with mock.patch.object(training, "_save", lambda model, saved: None), \
                    mock.patch.object(training, "_FloatErrors", _NoErrors):
                bare.append(epoch(data, batch_size, r))
        ratio = np.median(np.array(guarded) / np.array(bare))
        steps = -(-len(data.y_train) // batch_size)
        print(f"batch {batch_size:3d} ({steps} steps/epoch): epoch {np.median(guarded) * 1e3:.1f} "
              f"ms CPU with the guard, {np.median(bare) * 1e3:.1f} ms without; "
              f"ratio {ratio:.3f} (median of {args.repeats})")


if __name__ == "__main__":
    main()
