"""Pruning without retraining: accuracy with no fine-tuning, and the time each method takes.

Data: digits (1437 train / 360 test) and MNIST-1D (4000 / 1000), fixed splits,
standardised. Network: 2 hidden layers of 256 ReLU units, Adam lr 1e-3, 40 epochs
(batch 32) on digits and 30 (batch 100) on MNIST-1D, as in accuracy_vs_sparsity.py.
Each seed changes the initial weights, the data order and the calibration set.

From each trained dense network, with calibration sets of 128 and 512 training
samples (drawn at random with the seed) and no training after pruning:
  magnitude     |w|, the same fraction in each layer (prune_weights, scope="layer")
  magnitude (global)   one ranking over all layers (layer-collapse guard at 1%)
  LAMP          magnitude rescaled per layer, one global ranking (Lee et al. 2021)
  Wanda         |w| * ||x_i||, the same fraction of each unit's inputs (Sun et al. 2024)
  SparseGPT     one pass per layer, remaining weights updated (Frantar & Alistarh 2023)
  SparseGPT + re-solve   SparseGPT's masks, kept weights re-solved by least squares
  OBS           layer-wise exact Optimal Brain Surgeon (Hassibi & Stork 1993)
at 50/70/80/90% sparsity and 2:4. Then the outlier experiment on the digits
networks: the 16 most important units of each hidden layer made 25 times louder
and their outgoing weights 25 times smaller (rescale_units: the same function,
a few features of large magnitude as in large language models), where magnitude
fails and Wanda does not. Then the time each method takes on the digits network and on an
untrained 784-1024-1024-10 network (512 calibration samples of noise), one BLAS
thread, best of 3, with its ratio to magnitude pruning's time.

    python benchmarks/post_training.py              # 3 seeds, a few CPU-minutes
    python benchmarks/post_training.py --seeds 5 --json post.json
    python benchmarks/post_training.py --quick      # smoke run

Prints mean ± sd over seeds (test accuracy in %), then every target of issue 13
with its numbers and whether it is met.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from multiprocessing import get_context

import numpy as np
from threadpoolctl import threadpool_limits

import minprune as mp
from minprune.datasets import load_digits, load_mnist1d
from minprune.pruning.reconstruction import reconstruct, rescale_units

SPARSITIES = (0.5, 0.7, 0.8, 0.9)
CALIBRATION = (128, 512)
RECIPES = {"digits": dict(epochs=40, batch_size=32), "mnist1d": dict(epochs=30, batch_size=100)}
HIDDEN, LR = 256, 1e-3
OUTLIER_UNITS, OUTLIER_SCALE = 16, 25.0
OUTLIER_METHODS = ("magnitude", "Wanda", "SparseGPT")


def _magnitude(scope):
    return lambda m, a, X, dense: mp.prune_weights(m, a, criterion="magnitude", scope=scope)


def _sparsegpt_resolved(m, a, X, dense):
    mp.prune_sparsegpt(m, a, X)
    reconstruct(m, dense, X)


METHODS = {  # label -> (prune(model, amount, X, dense), needs calibration data)
    "magnitude": (_magnitude("layer"), False),
    "magnitude (global)": (_magnitude("global"), False),
    "LAMP": (lambda m, a, X, dense: mp.prune_weights(m, a, criterion="lamp", scope="global"),
             False),
    "Wanda": (lambda m, a, X, dense: mp.prune_weights(m, a, criterion="wanda", scope="output",
                                                      data=X), True),
    "SparseGPT": (lambda m, a, X, dense: mp.prune_sparsegpt(m, a, X), True),
    "SparseGPT + re-solve": (_sparsegpt_resolved, True),
    "OBS": (lambda m, a, X, dense: mp.prune_obs(m, a, X), True),
}


def _n_m(label, m, X, dense):
    """2:4 with each method that has an N:M form (None: it has none)."""
    if label == "magnitude":
        return mp.prune_n_m(m, 2, 4)
    if label == "Wanda":
        return mp.prune_n_m(m, 2, 4, criterion="wanda", data=X)
    if label == "SparseGPT":
        return mp.prune_sparsegpt(m, None, X, n=2, m=4)
    if label == "SparseGPT + re-solve":
        mp.prune_sparsegpt(m, None, X, n=2, m=4)
        return reconstruct(m, dense, X)
    return None


def load(name):
    return load_mnist1d(seed=0) if name == "mnist1d" else load_digits(seed=0)


def run(name, seed, quick):
    data = load(name)
    recipe = RECIPES[name]
    dense = mp.MLP([data.n_features, HIDDEN, HIDDEN, data.n_classes], seed=seed)
    mp.fit(dense, data.X_train, data.y_train, epochs=3 if quick else recipe["epochs"],
           batch_size=recipe["batch_size"], lr=LR, seed=seed)
    test = (data.X_test, data.y_test)
    out = {"dense": 100 * dense.score(*test), "acc": {}}
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(data.y_train))
    sparsities = SPARSITIES
    for n_cal in CALIBRATION:
        X = data.X_train[order[:n_cal]]
        for label, (prune, needs_data) in METHODS.items():
            if not needs_data and n_cal != CALIBRATION[-1]:
                continue  # data-free: the same for every calibration set
            for s in sparsities:
                model = dense.copy()
                prune(model, s, X, dense)
                out["acc"][f"{label}|{s}|{n_cal}"] = 100 * model.score(*test)
            model = dense.copy()
            if _n_m(label, model, X, dense) is not None:
                out["acc"][f"{label}|2:4|{n_cal}"] = 100 * model.score(*test)
    if name == "digits":
        X = data.X_train[order[:CALIBRATION[-1]]]
        loud, _ = rescale_units(dense, OUTLIER_SCALE, OUTLIER_UNITS, X)
        out["outliers"] = {}
        for label in OUTLIER_METHODS:
            for s in sparsities:
                model = loud.copy()
                METHODS[label][0](model, s, X, loud)
                out["outliers"][f"{label}|{s}"] = 100 * model.score(*test)
    return name, seed, out


def _job(args):
    with threadpool_limits(1):
        return run(*args)


def best_time(fn, repeats=3):
    """Best wall-clock and best process-CPU seconds of `repeats` calls. On a quiet machine the
    two agree (one BLAS thread); on a shared one the wall time also counts waiting for a core."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return [min(wall), min(cpu)]


def timings(quick):
    """Seconds per method at 50% on the digits network and on 784-1024-1024-10 (one thread)."""
    data = load_digits(seed=0)
    digits = mp.MLP([64, HIDDEN, HIDDEN, 10], seed=0)
    mp.fit(digits, data.X_train, data.y_train, epochs=3, batch_size=32, seed=0)
    big = mp.MLP([784, 1024, 1024, 10], seed=0)
    X_big = np.random.default_rng(0).normal(size=(512, 784)).astype(np.float32)
    out = {}
    with threadpool_limits(1):
        for net, model, X in (("digits", digits, data.X_train[:512]),
                              ("784-1024-1024-10", big, X_big)):
            for label, (prune, _) in METHODS.items():
                if label == "SparseGPT + re-solve" or (quick and net != "digits"):
                    continue
                try:
                    out[f"{label}|{net}"] = best_time(lambda: prune(model.copy(), 0.5, X, model),
                                                      1 if label == "OBS" else 3)
                except ValueError as exc:
                    out[f"{label}|{net}"] = str(exc)
    return out


# ------------------------------------------------------------------ reporting
def fmt(values):
    v = np.asarray(values, dtype=np.float64)
    sd = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"{v.mean():6.2f} ± {sd:4.2f}"


def mean(runs, key):
    return float(np.mean([r["acc"][key] for r in runs]))


def print_dataset(name, runs):
    print(f"\n== {name}: dense {fmt([r['dense'] for r in runs])} % "
          f"(n={len(runs)} seeds, no fine-tuning) ==")
    columns = sorted({k.split("|")[1] for k in runs[0]["acc"]}, key=lambda c: (c == "2:4", c))
    for n_cal in CALIBRATION:
        print(f"\ncalibration: {n_cal} samples (magnitude, LAMP: no data)")
        print(f"{'method':22s}" + "".join(f"{c if c == '2:4' else f'{100 * float(c):.0f}%':>16s}"
                                          for c in columns))
        for label in METHODS:
            cells = []
            for c in columns:
                key = f"{label}|{c}|{n_cal if METHODS[label][1] else CALIBRATION[-1]}"
                cells.append(fmt([r["acc"][key] for r in runs]) if key in runs[0]["acc"] else "—")
            print(f"{label:22s}" + "".join(f"{x:>16s}" for x in cells))


def print_timings(t):
    print(f"\n== time to prune 50% (one BLAS thread, best of 3; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores) ==")
    print(f"{'network':18s} {'method':20s} {'wall s':>8s} {'CPU s':>8s}  CPU / magnitude's")
    for net in ("digits", "784-1024-1024-10"):
        base = t.get(f"magnitude|{net}")
        for label in METHODS:
            v = t.get(f"{label}|{net}")
            if v is None:
                continue
            text = (f"{v[0]:8.3f} {v[1]:8.3f}  {v[1] / base[1]:6.2f}x" if isinstance(v, list)
                    else "refused: " + v[:100] + "...")
            print(f"{net:18s} {label:20s} {text}")


def targets(results, t):
    rows = []
    cal = CALIBRATION[-1]
    if "digits" in results:
        runs = results["digits"]
        dense = np.mean([r["dense"] for r in runs])
        g = {k: mean(runs, f"{k}|0.7|{cal}") for k in ("SparseGPT", "magnitude", "OBS")}
        rows.append(("digits 70%: SparseGPT within 2.5 of dense",
                     f"{g['SparseGPT']:.2f} vs {dense:.2f} ({g['SparseGPT'] - dense:+.2f}); "
                     f"magnitude {g['magnitude'] - dense:+.2f}", g["SparseGPT"] >= dense - 2.5))
        rows.append(("digits 70%: layer-wise OBS within 1.5 of dense",
                     f"{g['OBS']:.2f} ({g['OBS'] - dense:+.2f})", g["OBS"] >= dense - 1.5))
        if f"SparseGPT|0.9|{cal}" in runs[0]["acc"]:
            g = {k: mean(runs, f"{k}|0.9|{cal}") for k in ("SparseGPT", "magnitude", "OBS",
                                                         "SparseGPT + re-solve")}
            rows.append(("digits 90%: SparseGPT >= magnitude + 15",
                         f"{g['SparseGPT']:.2f} vs {g['magnitude']:.2f} "
                         f"({g['SparseGPT'] - g['magnitude']:+.2f})",
                         g["SparseGPT"] - g["magnitude"] >= 15))
            rows.append(("digits 90%: layer-wise OBS within 7 of dense",
                         f"{g['OBS']:.2f} ({g['OBS'] - dense:+.2f})", g["OBS"] >= dense - 7))
            rows.append(("digits 90%: re-solving SparseGPT's kept weights closes most of the gap "
                         "to OBS", f"{g['SparseGPT']:.2f} -> {g['SparseGPT + re-solve']:.2f} "
                         f"(OBS {g['OBS']:.2f})",
                         g["SparseGPT + re-solve"] - g["SparseGPT"]
                         > 0.5 * (g["OBS"] - g["SparseGPT"])))
        nm = mean(runs, f"SparseGPT|2:4|{cal}")
        rows.append(("digits 2:4: SparseGPT within 1 of dense",
                     f"{nm:.2f} ({nm - dense:+.2f})", nm >= dense - 1))
        w = {k: mean(runs, f"{k}|0.7|{cal}") for k in ("Wanda", "magnitude")}
        rows.append(("digits (standardised) 70%: Wanda no better than magnitude (expected)",
                     f"{w['Wanda']:.2f} vs {w['magnitude']:.2f} ({w['Wanda'] - w['magnitude']:+.2f})",
                     w["Wanda"] - w["magnitude"] < 2))
    if "mnist1d" in results:
        runs = results["mnist1d"]
        dense = np.mean([r["dense"] for r in runs])
        g = mean(runs, f"SparseGPT|0.5|{cal}")
        rows.append(("MNIST-1D 50%: SparseGPT within 4 of dense",
                     f"{g:.2f} vs {dense:.2f} ({g - dense:+.2f}); magnitude "
                     f"{mean(runs, f'magnitude|0.5|{cal}') - dense:+.2f}", g >= dense - 4))
        if f"SparseGPT|0.7|{cal}" in runs[0]["acc"]:
            g, m = mean(runs, f"SparseGPT|0.7|{cal}"), mean(runs, f"magnitude|0.7|{cal}")
            rows.append(("MNIST-1D 70%: SparseGPT >= magnitude + 8",
                         f"{g:.2f} vs {m:.2f} ({g - m:+.2f})", g - m >= 8))
    if "digits" in results and "outliers" in results["digits"][0]:
        runs = results["digits"]
        for s in sorted({k.split("|")[1] for k in runs[0]["outliers"]}):
            w, m = (float(np.mean([r["outliers"][f"{k}|{s}"] for r in runs]))
                    for k in ("Wanda", "magnitude"))
            rows.append((f"outlier units, {100 * float(s):.0f}%: Wanda beats magnitude clearly "
                         f"(>= 3)", f"{w:.2f} vs {m:.2f} ({w - m:+.2f})", w - m >= 3))
    for net, limit in (("digits", 0.2), ("784-1024-1024-10", 5.0)):
        v = t.get(f"SparseGPT|{net}")
        if isinstance(v, list):
            rows.append((f"time: SparseGPT on {net} under {limit} s (one thread; CPU s, wall s)",
                         f"{v[1]:.3f} s CPU, {v[0]:.3f} s wall", v[1] < limit))
    v = t.get("OBS|digits")
    if isinstance(v, list):
        rows.append(("time: OBS on digits about a second (< 2 s CPU)",
                     f"{v[1]:.2f} s CPU, {v[0]:.2f} s wall", v[1] < 2))
    v = t.get("OBS|784-1024-1024-10")
    if v is not None:
        rows.append(("OBS refuses 784-1024-1024-10 and points to the layer-wise method",
                     "refused" if isinstance(v, str) else f"ran in {v[0]:.1f} s",
                     isinstance(v, str) and "prune_sparsegpt" in v))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 3 epochs")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--timings-only", action="store_true", help="only the time table")
    args = parser.parse_args(argv)
    if args.timings_only:
        t = timings(False)
        print_timings(t)
        for desc, measured, ok in targets({}, t):
            print(f"[{'met' if ok else 'NOT met'}] {desc}: {measured}")
        return
    seeds = 1 if args.quick else args.seeds
    jobs = [(name, seed, args.quick) for name in RECIPES for seed in range(seeds)]
    start = time.perf_counter()
    with get_context("spawn").Pool(max(1, args.jobs)) as pool:
        done = pool.map(_job, jobs)
    results = {}
    for name, _, out in done:
        results.setdefault(name, []).append(out)
    t = timings(args.quick)
    for name in RECIPES:
        print_dataset(name, results[name])
    runs = results["digits"]
    print(f"\n== outliers: digits, {OUTLIER_UNITS} units per hidden layer x{OUTLIER_SCALE:g} "
          f"(same function), calibration {CALIBRATION[-1]} ==")
    cols = sorted({k.split("|")[1] for k in runs[0]["outliers"]})
    print(f"{'method':22s}" + "".join(f"{100 * float(c):>15.0f}%" for c in cols))
    for label in OUTLIER_METHODS:
        print(f"{label:22s}" + "".join(f"{fmt([r['outliers'][f'{label}|{c}'] for r in runs]):>16s}"
                                        for c in cols))
    print_timings(t)
    print(f"\n== targets (issue 13; calibration {CALIBRATION[-1]} samples) ==")
    for desc, measured, ok in targets(results, t):
        print(f"[{'met' if ok else 'NOT met'}] {desc}: {measured}")
    print(f"\n({time.perf_counter() - start:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "timings": t}, f, indent=1)


if __name__ == "__main__":
    main()
