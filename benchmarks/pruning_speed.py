"""Pruning speed and memory: global selection against torch, the mask history's bytes,
and the start-up a learner waits for.

1. ``prune_weights(model, 0.5, scope="global")`` (guard and history included, as a
   user calls it) against ``torch.nn.utils.prune.global_unstructured`` with
   ``L1Unstructured`` on the same weights, one thread each; the masks must be
   identical (target: minprune >= 2x faster). Needs torch for the comparison.
2. ``sensitivity_scan``: how many sorts it runs per layer (target: one) and its time.
3. The mask history of five pruning calls in a row on 784-1024-1024-10, in bytes,
   against the model's own bytes (target <= 1.5x), and the same with two epochs of
   fine-tuning between the calls (then every entry holds new values).
4. Start-up: a fresh Python process that imports minprune and loads digits,
   against one that loads digits through scikit-learn.

Times are process CPU time, medians over interleaved repeats.

    python benchmarks/pruning_speed.py
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import minprune
import minprune.metrics as metrics_module
from minprune.pruning.history import history_nbytes
from train_speed import cpu_name, have_torch, load

TARGETS = {"global": 2.0, "history": 1.5}


def model_bytes(model):
    """What the model holds: weights and biases, and their bool masks."""
    return sum(layer.W.nbytes + layer.b.nbytes + layer.mask.nbytes + layer.bias_mask.nbytes
               for layer in model.layers)


def torch_global(model, amount):
    """torch's global_unstructured on `model`'s weights; returns (seconds, masks)."""
    import torch
    from torch.nn.utils import prune

    linears = []
    for layer in model.layers:
        lin = torch.nn.Linear(layer.fan_in, layer.fan_out)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.W.T))
        linears.append(lin)
    t0 = time.process_time()
    prune.global_unstructured([(lin, "weight") for lin in linears],
                              pruning_method=prune.L1Unstructured, amount=amount)
    elapsed = time.process_time() - t0
    return elapsed, [lin.weight_mask.numpy().T.astype(bool) for lin in linears]


def minprune_global(model, amount):
    trial = model.copy()
    t0 = time.process_time()
    minprune.prune_weights(trial, amount, scope="global")
    return time.process_time() - t0, [layer.mask for layer in trial.layers]


def bench_global(sizes, repeats):
    model = minprune.MLP(sizes, seed=0)
    n = sum(layer.W.size for layer in model.layers)
    t_mp, t_torch = [], []
    for r in range(repeats):
        runs = [("mp", minprune_global), ("torch", torch_global)] if have_torch() else \
            [("mp", minprune_global)]
        for name, run in (runs if r % 2 == 0 else runs[::-1]):
            seconds, got = run(model, 0.5)
            (t_mp if name == "mp" else t_torch).append(seconds)
            if name == "mp":
                mine = got
            else:
                theirs = got
    line = f"  {'-'.join(map(str, sizes))} ({n:,} weights): minprune {np.median(t_mp) * 1e3:.1f} ms"
    if t_torch:
        same = all(np.array_equal(a, b) for a, b in zip(mine, theirs))
        speedup = float(np.median(np.array(t_torch) / np.array(t_mp)))
        line += (f", torch {np.median(t_torch) * 1e3:.1f} ms: minprune {speedup:.2f}x faster "
                 f"(target >= {TARGETS['global']}x), masks identical: {same}")
        print(line)
        return speedup, same
    print(line + " (torch not installed: no comparison)")
    return None, None


def bench_scan():
    data = minprune.datasets.load_digits()
    model = minprune.MLP([64, 256, 256, 10], seed=0)
    minprune.fit(model, data.X_train, data.y_train, epochs=3, progress=False)
    sorts = []
    original = metrics_module.rank_order

    def counting(scores, eligible=None):
        sorts.append(np.shape(scores))
        return original(scores, eligible)
    metrics_module.rank_order = counting
    try:
        t0 = time.process_time()
        scan = minprune.sensitivity_scan(model, (data.X_test, data.y_test),
                                         np.linspace(0.1, 0.95, 12))
        seconds = time.process_time() - t0
    finally:
        metrics_module.rank_order = original
    n_layers = len(scan.layer_names)
    print(f"  {n_layers} layers x {len(scan.sparsities)} sparsities: {len(sorts)} sorts "
          f"({len(sorts) / n_layers:.0f} per layer, target 1), {seconds:.2f} s")
    return len(sorts) / n_layers


def bench_history():
    data = minprune.datasets.load_mnist1d()
    results = {}
    for finetune in (False, True):
        model = minprune.MLP([784, 1024, 1024, 10], seed=0)
        X = np.resize(data.X_train, (512, 784))  # MNIST-1D rows repeated: 784 features
        for _ in range(5):
            minprune.prune_weights(model, 0.5, scope="global")
            if finetune:
                minprune.fit(model, X, data.y_train[:512], epochs=2, progress=False)
        ratio = history_nbytes(model) / model_bytes(model)
        results[finetune] = ratio
        print(f"  five global 50% calls{' with 2 epochs of fine-tuning between' if finetune else ''}"
              f": history {history_nbytes(model) / 1e6:.1f} MB, model {model_bytes(model) / 1e6:.1f} MB"
              f" -> {ratio:.2f}x" + ("" if finetune else f" (target <= {TARGETS['history']}x)"))
    return results[False]


def startup(code, repeats):
    """Median CPU seconds (user + sys) of a fresh `python -c code`."""
    times = []
    for _ in range(repeats):
        before = os.times()
        subprocess.run([sys.executable, "-c", code], check=True, env=os.environ)
        after = os.times()
        times.append(after.children_user - before.children_user
                     + after.children_system - before.children_system)
    return float(np.median(times))


def bench_startup(repeats):
    ours = "import minprune; minprune.datasets.load_digits()"
    theirs = ("from sklearn.datasets import load_digits; "
              "from sklearn.model_selection import train_test_split; d = load_digits(); "
              "train_test_split(d.data, d.target, test_size=0.2, stratify=d.target, "
              "random_state=0)")
    t_ours, t_theirs = startup(ours, repeats), startup(theirs, repeats)
    print(f"  import minprune + load_digits: {t_ours:.2f} s CPU; the same through scikit-learn: "
          f"{t_theirs:.2f} s ({t_theirs / t_ours:.1f}x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; load average {load()}")
    with threadpool_limits(limits=1):
        if have_torch():
            import torch
            torch.set_num_threads(1)
        print("1. global magnitude pruning, 50% (guard and history included)")
        for sizes in ([784, 1024, 1024, 10], [784, 4096, 4096, 10]):
            bench_global(sizes, args.repeats)
        print("2. sensitivity_scan")
        bench_scan()
        print("3. mask history")
        bench_history()
    print("4. start-up")
    bench_startup(args.repeats)
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
