"""Accuracy against sparsity: which criterion, which schedule, and what pruning costs.

Data: digits (1437 train / 360 test) and MNIST-1D (4000 / 1000), fixed splits.
Network: two hidden layers of 256 ReLU units (84,480 weights on digits, 78,336 on
MNIST-1D), Adam lr 1e-3, about 40 steps per epoch (batch 32 on digits, 100 on
MNIST-1D), 40 / 30 dense epochs. Each seed changes the initial weights, the data
order and the random criterion.

From each trained dense network, for the criteria global magnitude, layer
magnitude, random (per layer) and Taylor (global, on the training set) and the
sparsities 50/80/90/95/98%:
  one-shot       prune, no training: the raw damage;
  one-shot + FT  prune, then fine-tune for 40 epochs (test accuracy after every
                 epoch is kept, which gives the fine-tuning-budget table);
  gradual        the same 40 epochs with GradualPruning (cubic schedule, an event
                 every half epoch, reaching the target at 60% of the run).
Also: 50% of the hidden neurons (l2, per layer) + 40 epochs of fine-tuning, and on
MNIST-1D the lottery ticket (Frankle & Carbin: 20% of each hidden layer and 10%
of the output layer per round, rewinding to the initial weights, 30 epochs per
round) against its random-reinitialisation control.

    python benchmarks/accuracy_vs_sparsity.py                 # 3 seeds: ~7 CPU-minutes, ~10 min on 2 busy cores
    python benchmarks/accuracy_vs_sparsity.py --seeds 5 --plot acc.png --json acc.json
    python benchmarks/accuracy_vs_sparsity.py --quick         # smoke run, seconds

Prints mean and standard deviation over seeds (test accuracy in %), then every
target of the project with its numbers and whether it is met.
"""
from __future__ import annotations

import argparse
import json
import time
from multiprocessing import get_context

import numpy as np
from threadpoolctl import threadpool_limits

import minprune
from minprune.datasets import load_digits, load_mnist1d
from minprune.schedules import GradualPruning, lottery_ticket, prune_and_finetune

SPARSITIES = (0.5, 0.8, 0.9, 0.95, 0.98)
CRITERIA = {  # label -> (criterion, scope)
    "global magnitude": ("magnitude", "global"),
    "layer magnitude": ("magnitude", "layer"),
    "random": ("random", "layer"),
    "taylor": ("taylor", "global"),
}
RECIPES = {
    "digits": dict(hidden=256, epochs=40, batch_size=32, finetune=40),
    "mnist1d": dict(hidden=256, epochs=30, batch_size=100, finetune=40),
}
LOTTERY = dict(target=0.9, epochs=30, batch_size=100, hidden=256)
QUICK = dict(sparsities=(0.5, 0.9), epochs=3, finetune=2, lottery_target=0.5, lottery_epochs=3)
LR = 1e-3


def load(name):
    return load_digits(seed=0) if name == "digits" else load_mnist1d(seed=0)


def run_dataset(name, seed, quick):
    """Every criterion x schedule x sparsity for one data set and one seed (accuracies in %)."""
    recipe = dict(RECIPES[name])
    sparsities = QUICK["sparsities"] if quick else SPARSITIES
    if quick:
        recipe.update(epochs=QUICK["epochs"], finetune=QUICK["finetune"])
    data = load(name)
    train, test = (data.X_train, data.y_train), (data.X_test, data.y_test)
    bs, ft = recipe["batch_size"], recipe["finetune"]
    dense = minprune.MLP([data.n_features, recipe["hidden"], recipe["hidden"], data.n_classes],
                         seed=seed)
    minprune.fit(dense, *train, epochs=recipe["epochs"], batch_size=bs, lr=LR, seed=seed)
    out = {"dense": 100 * dense.score(*test), "oneshot": {}, "finetune": {}, "gradual": {}}
    steps_per_epoch = -(-len(data.y_train) // bs)
    for label, (criterion, scope) in CRITERIA.items():
        for s in sparsities:
            key = f"{label}@{s}"
            model = dense.copy()
            result = prune_and_finetune(model, s, data, criterion=criterion, scope=scope,
                                        epochs=ft, lr=LR, seed=seed, batch_size=bs,
                                        validation_data=test)
            out["oneshot"][key] = 100 * result.pruned_accuracy
            out["finetune"][key] = [100 * a for a in result.history.val_accuracy]  # per epoch
            model = dense.copy()
            gradual = GradualPruning(s, end_step=int(0.6 * ft * steps_per_epoch),
                                     frequency=max(1, steps_per_epoch // 2), criterion=criterion,
                                     scope=scope, data=train, seed=seed)
            minprune.fit(model, *train, epochs=ft, batch_size=bs, lr=LR, seed=seed,
                         callbacks=[gradual])
            assert abs(minprune.sparsity(model) - s) < 1e-3, (key, minprune.sparsity(model))
            out["gradual"][key] = 100 * model.score(*test)
    result = prune_and_finetune(dense.copy(), 0.5, data, kind="neurons", criterion="l2",
                                scope="layer", epochs=ft, lr=LR, seed=seed, batch_size=bs)
    out["neurons50"] = {"pruned": 100 * result.pruned_accuracy,
                        "finetuned": 100 * result.finetuned_accuracy}
    return name, seed, out


def run_lottery(seed, quick):
    data = load("mnist1d")
    h = LOTTERY["hidden"]
    result = lottery_ticket([data.n_features, h, h, data.n_classes], data,
                            target_sparsity=QUICK["lottery_target"] if quick else LOTTERY["target"],
                            epochs=QUICK["lottery_epochs"] if quick else LOTTERY["epochs"],
                            batch_size=LOTTERY["batch_size"], lr=LR, seed=seed)
    return "lottery", seed, {"sparsity": [100 * s for s in result.sparsity],
                             "ticket": [100 * a for a in result.ticket_accuracy],
                             "control": [100 * a for a in result.control_accuracy]}


def _job(args):
    kind, seed, quick = args
    with threadpool_limits(1):  # one BLAS thread per worker: workers are the parallelism
        if kind == "lottery":
            return run_lottery(seed, quick)
        return run_dataset(kind, seed, quick)


# ------------------------------------------------------------------ reporting
def stats(values):
    values = np.asarray(values, dtype=np.float64)
    return values.mean(axis=0), (values.std(axis=0, ddof=1) if len(values) > 1
                                 else np.zeros_like(values[0]))


def fmt(values):
    mean, std = stats(values)
    return f"{mean:6.2f} ± {std:4.2f}"


def print_dataset(name, runs):
    dense = [r["dense"] for r in runs]
    keys = list(runs[0]["oneshot"])
    sparsities = sorted({float(k.split("@")[1]) for k in keys})
    print(f"\n== {name}: dense {fmt(dense)} % (n={len(runs)} seeds) ==")
    for method, title in (("oneshot", "one-shot (no training)"),
                          ("finetune", "one-shot + fine-tune"), ("gradual", "gradual (cubic)")):
        print(f"\n{title}")
        print(f"{'criterion':18s}" + "".join(f"{100 * s:>17.0f}%" for s in sparsities))
        for label in CRITERIA:
            cells = []
            for s in sparsities:
                vals = [r[method][f"{label}@{s}"] for r in runs]
                cells.append(fmt([v[-1] if isinstance(v, list) else v for v in vals]))
            print(f"{label:18s}" + "".join(f"{c:>18s}" for c in cells))
    if 0.9 in sparsities:
        n_epochs = len(runs[0]["finetune"][f"{keys[0]}"])
        budgets = [e for e in (1, 3, 10, 20, 40) if e <= n_epochs]
        print("\nfine-tuning budget at 90% sparsity (test accuracy after E epochs)")
        print(f"{'criterion':18s}" + "".join(f"{f'E={e}':>18s}" for e in budgets))
        for label in CRITERIA:
            curves = [r["finetune"][f"{label}@0.9"] for r in runs]
            print(f"{label:18s}" + "".join(f"{fmt([c[e - 1] for c in curves]):>18s}"
                                            for e in budgets))
    n50 = [r["neurons50"]["finetuned"] for r in runs]
    print(f"\n50% of hidden neurons (l2, per layer): right after {fmt([r['neurons50']['pruned'] for r in runs])}, "
          f"after fine-tuning {fmt(n50)}")


def print_lottery(runs):
    print(f"\n== MNIST-1D lottery ticket (n={len(runs)} seeds; round 0 = dense) ==")
    print(f"{'round':>5s} {'sparsity':>9s} {'ticket':>16s} {'random reinit':>16s}")
    for r in range(len(runs[0]["sparsity"])):
        control = [x["control"][r] for x in runs]
        print(f"{r:5d} {runs[0]['sparsity'][r]:8.2f}% {fmt([x['ticket'][r] for x in runs]):>16s} "
              f"{'-' if np.isnan(control[0]) else fmt(control):>16s}")


def targets(results):
    """Each project target: (description, measured text, met?)."""
    rows = []
    if "digits" in results and "global magnitude@0.98" in results["digits"][0]["gradual"]:
        runs = results["digits"]
        dense = np.mean([r["dense"] for r in runs])
        for s, tol in ((0.95, 1.0), (0.98, 1.5)):
            acc = np.mean([r["gradual"][f"global magnitude@{s}"] for r in runs])
            rows.append((f"digits: gradual global magnitude at {100 * s:.0f}% within {tol} of dense",
                         f"{acc:.2f} vs {dense:.2f} ({acc - dense:+.2f})", acc >= dense - tol))
        for label in ("global magnitude", "layer magnitude"):
            for e in (1, 3, 10, 40):
                mag = np.mean([r["finetune"][f"{label}@0.9"][e - 1] for r in runs])
                rnd = np.mean([r["finetune"]["random@0.9"][e - 1] for r in runs])
                rows.append((f"digits: {label} beats random by >= 5 at 90% + {e} FT epochs",
                             f"{mag:.2f} vs {rnd:.2f} ({mag - rnd:+.2f})", mag - rnd >= 5))
        n50 = np.mean([r["neurons50"]["finetuned"] for r in runs])
        rows.append(("digits: 50% of hidden neurons + FT within 1.5 of dense",
                     f"{n50:.2f} vs {dense:.2f} ({n50 - dense:+.2f})", n50 >= dense - 1.5))
    if "lottery" in results:
        runs = results["lottery"]
        dense = np.mean([r["ticket"][0] for r in runs])
        ticket = np.mean([r["ticket"][-1] for r in runs])
        control = np.mean([r["control"][-1] for r in runs])
        s = runs[0]["sparsity"][-1]
        rows.append((f"MNIST-1D: lottery ticket at {s:.0f}% >= dense",
                     f"{ticket:.2f} vs {dense:.2f} ({ticket - dense:+.2f})", ticket >= dense))
        rows.append((f"MNIST-1D: ticket beats random reinit by >= 3 at {s:.0f}%",
                     f"{ticket:.2f} vs {control:.2f} ({ticket - control:+.2f})",
                     ticket - control >= 3))
    return rows


def plot(results, path):
    """One figure: per data set, accuracy against sparsity for each schedule and the
    fine-tuning curve at 90%; below, the lottery ticket against its control."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in ("digits", "mnist1d") if n in results]
    rows = len(names) + ("lottery" in results)
    fig, axes = plt.subplots(rows, 4, figsize=(16, 3.6 * rows), squeeze=False)
    titles = {"oneshot": "one-shot", "finetune": "one-shot + fine-tune", "gradual": "gradual"}
    for row, name in zip(axes, names):
        runs = results[name]
        dense = np.mean([r["dense"] for r in runs])
        sparsities = sorted({float(k.split("@")[1]) for k in runs[0]["oneshot"]})
        for ax, method in zip(row, titles):
            for label in CRITERIA:
                vals = [[r[method][f"{label}@{s}"] for s in sparsities] for r in runs]
                vals = [[v[-1] if isinstance(v, list) else v for v in run] for run in vals]
                mean, std = stats(vals)
                ax.errorbar([100 * s for s in sparsities], mean, yerr=std, marker="o",
                            capsize=3, label=label)
            ax.axhline(dense, color="k", ls="--", lw=1, label="dense")
            ax.set(title=f"{name}: {titles[method]}", xlabel="sparsity (%)",
                   ylabel="test accuracy (%)")
        ax = row[3]
        if 0.9 in sparsities:
            for label in CRITERIA:
                mean, std = stats([r["finetune"][f"{label}@0.9"] for r in runs])
                epochs = np.arange(1, len(mean) + 1)
                ax.plot(epochs, mean, label=label)
                ax.fill_between(epochs, mean - std, mean + std, alpha=0.2)
            ax.axhline(dense, color="k", ls="--", lw=1)
            ax.set(title=f"{name}: fine-tuning at 90%", xlabel="fine-tuning epochs",
                   ylabel="test accuracy (%)")
        row[0].legend(fontsize=8)
    if "lottery" in results:
        row = axes[-1]
        runs = results["lottery"]
        ax = row[0]
        for key, label in (("ticket", "ticket (rewound to init)"),
                           ("control", "same mask, random re-init")):
            mean, std = stats([r[key] for r in runs])
            ax.errorbar(runs[0]["sparsity"], mean, yerr=std, marker="o", capsize=3, label=label)
        ax.axhline(np.mean([r["ticket"][0] for r in runs]), color="k", ls="--", lw=1,
                   label="dense")
        ax.set(title="MNIST-1D: lottery ticket", xlabel="sparsity (%)",
               ylabel="test accuracy (%)")
        ax.legend(fontsize=8)
        for ax in row[1:]:
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (>= 1)")
    parser.add_argument("--workers", type=int, default=2, help="parallel processes")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, few epochs")
    parser.add_argument("--only", choices=("digits", "mnist1d", "lottery"), action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--plot", help="save a figure to this path (.png)")
    parser.add_argument("--json", help="save all numbers to this path")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.workers < 1:
        parser.error("--seeds and --workers must be >= 1")
    seeds = [0] if args.quick else list(range(args.seeds))
    parts = args.only or ["mnist1d", "lottery", "digits"]
    jobs = [(part, seed, args.quick) for part in parts for seed in seeds]
    t0 = time.perf_counter()
    results = {}
    if args.workers == 1:
        outputs = map(_job, jobs)
    else:
        pool = get_context("spawn").Pool(min(args.workers, len(jobs)))
        outputs = pool.imap_unordered(_job, jobs)
    for kind, seed, out in outputs:
        results.setdefault(kind, []).append((seed, out))
    if args.workers > 1:
        pool.close()
        pool.join()
    results = {k: [out for _, out in sorted(v, key=lambda p: p[0])] for k, v in results.items()}
    elapsed = time.perf_counter() - t0
    print(f"accuracy_vs_sparsity: seeds {seeds}, {args.workers} worker(s), {elapsed:.0f} s")
    for name in ("digits", "mnist1d"):
        if name in results:
            print_dataset(name, results[name])
    if "lottery" in results:
        print_lottery(results["lottery"])
    print("\n== targets (means over seeds)" + (", QUICK RUN: not the real settings" if args.quick
                                                 else "") + " ==")
    for text, measured, met in targets(results):
        print(f"[{'met' if met else 'NOT met'}] {text}: {measured}")
    if args.plot:
        plot(results, args.plot)
        print(f"figure saved to {args.plot}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seeds": seeds, "results": results}, f, indent=1)
        print(f"numbers saved to {args.json}")


if __name__ == "__main__":
    main()
