"""Inference speed: what pruning buys at run time, measured.

Two questions, one BLAS thread (threadpoolctl), float32, random weights (speed does
not depend on training), timed in process CPU time (``--timer wall`` for wall time;
why: see ``TIMER``):

1. ``shrink``: remove 50% and 75% of the hidden units (``prune_neurons``, l2, per
   layer), cut them out with ``minprune.shrink``, and compare the realised speedup
   over the dense model with the ideal one, the ratio of FLOPs. Target: >= 80% of
   ideal at batch 256 and width 1024.
2. CSR: prune 50-99% of the weights (``prune_weights``, magnitude, per layer), store
   them with ``minprune.to_sparse`` and compare with the same zeroed weights run
   as dense matrices. The break-even sparsity is where CSR starts to win.

Networks: ``MLP([784, width, width, 10])`` for width 256 and 1024. Input 784 (an
MNIST image) because it is the classic setting of pruning papers (LeNet-300-100,
Han et al. 2015) and because ``shrink`` never removes inputs: the first layer
keeps its 784 rows, so the ideal ratio is that of a real network, not the
1 / (1 - r)^2 of square layers.

    python benchmarks/inference_speed.py              # ~2 minutes
    python benchmarks/inference_speed.py --rounds 31  # steadier on a busy machine

Times are medians over ``rounds`` short rounds; within a round the variants of
one setting are measured in turn (alternating order), and speedups are medians
of the within-round ratios, so bursts of outside load mostly cancel. The
machine's load average is printed before and after.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minprune

WIDTHS = (256, 1024)
BATCHES = (1, 256)
N_FEATURES = 784
# CPU time, not wall time: the machine is shared, and the OS pauses a 15 ms pass far more
# often than a 1 ms one, which inflated wall-time speedups up to 2x. With one BLAS thread,
# CPU time is the wall time on an idle machine. --timer wall measures wall time instead.
TIMER = "cpu"


def build(width, seed=0):
    return minprune.MLP([N_FEATURES, width, width, 10], activation="relu", seed=seed)


def dense_twin(model):
    """The same (already zeroed) weights with the masks dropped: plain dense matrices."""
    twin = model.copy()
    for layer in twin.layers:
        layer.mask = np.ones_like(layer.mask)
        layer.bias_mask = np.ones_like(layer.bias_mask)
    return twin


def timed(models, batch, rounds, budget=0.06):
    """Seconds per forward pass of each model in each round, shape (rounds, len(models)).

    Every round times each model for about `budget` seconds, in alternating order,
    so a burst of outside load hits all of them; ratios are taken within a round.
    """
    probe = max(float(minprune.measure_latency(m, batch, repeats=3, warmup=1, timer=TIMER))
                for m in models)
    repeats = int(np.clip(budget / probe, 3, 300))
    out = np.empty((rounds, len(models)))
    for r in range(rounds):
        order = range(len(models)) if r % 2 == 0 else reversed(range(len(models)))
        for k in order:
            out[r, k] = minprune.measure_latency(models[k], batch, repeats=repeats, warmup=2,
                                                 seed=r, threads=1, timer=TIMER).median
    return out


def ratio(per_round, a, b):
    """Median over rounds of time[a] / time[b]: paired, so slow rounds cancel."""
    return float(np.median(per_round[:, a] / per_round[:, b]))


def load():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def bench_shrink(rounds):
    print("\n1. shrink: dense MLP vs the same MLP with hidden units cut out "
          f"(input {N_FEATURES}, 2 hidden layers, 10 classes)")
    header = (f"{'width':>5} {'removed':>7} {'batch':>5} {'dense ms':>9} {'masked ms':>9} "
              f"{'shrunk ms':>9} {'speedup':>7} {'ideal':>6} {'of ideal':>8}")
    print(header)
    print("-" * len(header))
    results = []
    rng = np.random.default_rng(0)
    for width in WIDTHS:
        for removed in (0.5, 0.75):
            dense = build(width)
            masked = dense.copy()
            minprune.prune_neurons(masked, removed, criterion="l2", scope="layer")
            small = minprune.shrink(masked)
            X = rng.standard_normal((64, N_FEATURES)).astype(np.float32)
            np.testing.assert_allclose(small.forward(X), masked.forward(X), rtol=1e-4, atol=1e-4)
            ideal = (minprune.report(dense).totals["dense_flops"]
                     / minprune.report(small).totals["dense_flops"])
            for batch in BATCHES:
                per_round = timed([dense, masked, small], batch, rounds)
                t_dense, t_masked, t_small = np.median(per_round, axis=0)
                speedup = ratio(per_round, 0, 2)
                results.append((width, removed, batch, speedup, ideal))
                print(f"{width:>5} {removed:>7.0%} {batch:>5} {t_dense * 1e3:>9.3f} "
                      f"{t_masked * 1e3:>9.3f} {t_small * 1e3:>9.3f} {speedup:>6.2f}x "
                      f"{ideal:>5.2f}x {speedup / ideal:>8.0%}")
    print("speedup = median over rounds of dense / shrunk time; ideal = dense FLOPs / shrunk "
          "FLOPs;\nmasked = the pruned model before shrink (it multiplies every zero, and by the "
          "masks on every pass)")
    target = [s / i for w, r, b, s, i in results if w == 1024 and b == 256]
    print(f"target >= 80% of ideal at width 1024, batch 256: "
          f"{', '.join(f'{x:.0%}' for x in target)} -> "
          f"{'met' if min(target) >= 0.8 else 'NOT met'}")
    return results


def break_even(sparsities, ratios):
    """Sparsity where dense/CSR time crosses 1, interpolated linearly in log ratio."""
    logs = np.log(ratios)
    for k in range(len(logs)):
        if logs[k] >= 0:
            if k == 0:
                return None, f"<= {sparsities[0]:.0%}"
            s0, s1, l0, l1 = sparsities[k - 1], sparsities[k], logs[k - 1], logs[k]
            s = s0 + (s1 - s0) * (-l0) / (l1 - l0)
            return s, f"~{s:.1%} (between {s0:.0%} and {s1:.0%})"
    return None, f"> {sparsities[-1]:.0%} (CSR never faster here)"


def bench_csr(rounds, sparsities):
    print("\n2. CSR (scipy.sparse, W.T stored, int32 indices) vs the same zeroed weights "
          "run dense")
    header = (f"{'width':>5} {'batch':>5} {'sparsity':>8} {'dense ms':>9} {'masked ms':>9} "
              f"{'CSR ms':>9} {'dense/CSR':>9} {'CSR bytes':>10} {'dense bytes':>11}")
    print(header)
    print("-" * len(header))
    summary = []
    for width in WIDTHS:
        for batch in BATCHES:
            ratios = []
            for s in sparsities:
                masked = build(width)
                minprune.prune_weights(masked, s, criterion="magnitude", scope="layer")
                dense, sparse = dense_twin(masked), minprune.to_sparse(masked)
                per_round = timed([dense, masked, sparse], batch, rounds)
                t_dense, t_masked, t_csr = np.median(per_round, axis=0)
                ratios.append(ratio(per_round, 0, 2))
                rep = minprune.report(masked).totals
                print(f"{width:>5} {batch:>5} {s:>8.0%} {t_dense * 1e3:>9.3f} "
                      f"{t_masked * 1e3:>9.3f} {t_csr * 1e3:>9.3f} {ratios[-1]:>8.2f}x "
                      f"{rep['csr_bytes']:>10,} {rep['dense_bytes']:>11,}")
            summary.append((width, batch, break_even(sparsities, ratios)[1]))
    print("\nbreak-even sparsity (CSR faster than dense above it):")
    for width, batch, text in summary:
        print(f"  width {width:>4}, batch {batch:>3}: {text}")
    print("memory: CSR stores 8 bytes per float32 non-zero (value + int32 index) against 4 per "
          "dense weight,\nso it is smaller than dense only above 50% sparsity")
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15,
                        help="interleaved rounds per setting (each ~0.06 s per model)")
    parser.add_argument("--timer", choices=["cpu", "wall"], default="cpu",
                        help="what a pass costs: process CPU time (default) or wall time")
    parser.add_argument("--sparsities", type=float, nargs="+",
                        default=[0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99])
    args = parser.parse_args()
    global TIMER
    TIMER = args.timer
    import scipy
    from threadpoolctl import threadpool_info

    blas = [f"{i['internal_api']} {i['version']}" for i in threadpool_info()
            if i["user_api"] == "blas"]
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, BLAS {', '.join(blas)}, "
          f"1 BLAS thread, {os.cpu_count()} CPUs, timer={TIMER}; {load()}")
    bench_shrink(args.rounds)
    bench_csr(args.rounds, args.sparsities)
    print(f"\n{load()}")


if __name__ == "__main__":
    main()
