"""Pruning without retraining: remove weights and let the ones that remain compensate.

Every criterion in :mod:`minprune.pruning.criteria` decides *which* weights go and
leaves the others as they are; fine-tuning then repairs the damage. The methods
here need no training. They remove a weight and, in the same step, move the
weights that remain so that the network's output changes as little as possible,
using a small set of **calibration** inputs (a few hundred samples, no labels).

For one output unit of a layer with inputs ``X`` (n_samples, fan_in) and weights
``w`` (fan_in,), the squared change of its output is the quadratic
``E(w') = 1/2 (w' - w)^T H (w' - w)`` with ``H = X^T X / n_samples``. Removing
weight q (setting it to zero) and re-solving all the others costs exactly::

    E_q = w_q^2 / (2 [H^-1]_qq)      and moves the others by   dw = -w_q / [H^-1]_qq * H^-1[:, q]

(Optimal Brain Surgeon, Hassibi & Stork 1993). After each removal the inverse
of the Hessian of the weights that remain is a rank-one *downdate* of the
previous one, so it is updated, never recomputed.

:func:`prune_obs`
    Greedy OBS, one weight at a time. ``hessian="layer"`` (default): per layer,
    with ``H`` from that layer's calibration inputs, exact for each output unit;
    the unit's sequence of removal costs decides how the layer's budget is shared
    among its units (as in Optimal Brain Compression, Frantar & Alistarh 2022).
    ``hessian="full"``: over all weights at once with the Gauss-Newton matrix of
    the cross-entropy, for tiny networks only.
:func:`prune_sparsegpt`
    SparseGPT (Frantar & Alistarh 2023): the same removal and update, but the
    inputs of a layer are eliminated in a fixed order, left to right, so that
    every output unit shares one inverse (its Cholesky factor) and the cost is
    that of a few matrix products. Unstructured or N:M.

Both run layer after layer: the calibration inputs of layer i are those that
reach it through the already-pruned layers before it, so each layer also
corrects the errors of the layers before it. Biases are never changed. Both
record one step in ``model.mask_history`` (masks *and* the weights before the
update), so :func:`~minprune.pruning.masks.undo` restores everything.
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg

from .._validation import _describe, validate_features, validate_float
from ..model import _FORWARD, MLP, Dense, validate_model
from .criteria import backprop_deltas
from .criteria.registry import _output_hessian_factors, validate_data
from .history import commit_masks
from .rules import as_scalar, resolve_amount, resolve_counts, select_lowest
from .structured import _validate_n_m, n_m_mask
from .weights import LayerPruning, PruningReport

HESSIANS = ("layer", "full")
DAMPING = 0.01  # default: lambda = DAMPING * mean(diag(H)), as in SparseGPT
MAX_FULL_WEIGHTS = 5000  # hessian="full" holds a (weights x weights) matrix: 200 MB at 5000
MAX_LAYER_OBS_COST = 10**10  # multiply-adds; seconds in numpy, minutes far beyond
_OBS_FOLD = 32  # removals between two folds of the pending downdates into H^-1 (speed only)
_SPARSEGPT_BLOCK = 128  # inputs per block of lazy updates, the paper's default


# ------------------------------------------------------------------ calibration data
def calibration_inputs(model, data, needed_by):
    """Calibration inputs ``X`` checked against `model`, as float64.

    Parameters
    ----------
    model : MLP
    data : ndarray of shape (n_samples, n_features), or a tuple (X, y)
        The targets of a tuple (class labels, or a regressor's real targets) are
        checked as the criteria's `data` is, and not used: none of these methods
        needs them.
    needed_by : str
        Named in the error when `data` is missing.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float64
    """
    if data is None:
        raise ValueError(f"{needed_by} needs data: calibration inputs X of shape (n_samples, "
                         f"{model.n_features}), or a tuple (X, y); got data=None")
    if isinstance(data, tuple):
        if len(data) != 2:
            raise TypeError(f"data must be calibration inputs X or a tuple (X, y), got a tuple "
                            f"of length {len(data)}")
        if data[1] is None:
            return validate_features(data[0], "data[0] (X)", n_features=model.n_features,
                                     dtype=np.float64)
        return validate_data(model, data, needed_by, dtype=np.float64)[0]
    return validate_features(data, "data (X)", n_features=model.n_features, dtype=np.float64)


def layer_hessian(X, damping, where="layer"):
    """``H = X^T X / n_samples + lambda I`` with ``lambda = damping * mean(diag(X^T X / n))``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, fan_in)
        The inputs that reach the layer.
    damping : float >= 0
        Relative damping. With 0, `X` must have full column rank.
    where : str
        Names the layer in the error.

    Returns
    -------
    H : ndarray of shape (fan_in, fan_in), float64, symmetric positive definite
    L : ndarray of shape (fan_in, fan_in)
        Its lower Cholesky factor, ``H = L L^T``.
    """
    n_samples, fan_in = X.shape
    if n_samples < fan_in:
        reason = f"only {n_samples} samples for its {fan_in} inputs"
    else:
        reason = "some of its inputs are constant zero or combinations of others"
    return damped(X.T @ X / n_samples, damping, where, reason)


def damped(H, damping, where, reason="it is singular"):
    """``H + damping * mean(diag(H)) I`` and its lower Cholesky factor, or a ValueError
    naming `data` when the result is not positive definite."""
    H = H.copy()
    scale = float(np.mean(np.diag(H))) if len(H) else 0.0
    # A layer whose inputs are all zero (dead units upstream): any value is as good.
    H[np.diag_indices(len(H))] += damping * (scale if scale > 0 else 1.0)
    try:
        return H, np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        raise ValueError(f"data: the Hessian X^T X of {where} is not invertible ({reason}); "
                         f"pass damping > 0 (default {DAMPING}) or more calibration "
                         f"samples") from None


def _inverse(L):
    """H^-1 from the lower Cholesky factor of H."""
    return scipy.linalg.cho_solve((L, True), np.eye(len(L)))


def _layer_input(X, W, b, activation):
    """Output of one layer, float64: the calibration inputs of the next."""
    z = X @ W
    z += b
    return _FORWARD[activation](z)


def float64_copy(model):
    """A float64 copy of `model` with its masks applied: where the methods here compute."""
    layers = [Dense((layer.W * layer.mask).astype(np.float64),
                    (layer.b * layer.bias_mask).astype(np.float64), layer.activation,
                    layer.mask.copy(), layer.bias_mask.copy()) for layer in model.layers]
    return MLP._from_layers(layers, model.activation, np.float64, model.objective)


# ------------------------------------------------------------------ OBS
def obs_removals(Hinv, w, live, steps):
    """Greedy Optimal Brain Surgeon on independent problems that share one Hessian.

    Problem b minimises ``1/2 (v - w[b])^T H (v - w[b])`` over the weights
    ``v`` it keeps; at each step it removes the weight whose removal, with the
    others re-solved, costs least, ``w_q^2 / (2 [H_R^-1]_qq)`` for the
    remaining set R, and downdates ``H_R^-1``. Weights that are not `live`
    (already pruned, so exactly zero) are removed first, at no cost.

    Parameters
    ----------
    Hinv : ndarray of shape (n, n)
        Inverse of the (damped) Hessian, shared by all problems.
    w : ndarray of shape (n_problems, n)
        Starting weights (for a layer: one row per output unit).
    live : bool ndarray of shape (n_problems, n)
        False where a weight is already pruned (its value must be 0).
    steps : int
        Removals per problem, the already-pruned ones included, <= n.

    Returns
    -------
    order : int ndarray of shape (n_problems, steps)
        Index of the weight removed at each step.
    cost : ndarray of shape (n_problems, steps)
        Increase of the quadratic at each step (0.0 for already-pruned ones).
    """
    n_problems, n = w.shape
    order = np.empty((n_problems, steps), dtype=np.int64)
    cost = np.empty((n_problems, steps))
    rows = np.arange(n_problems)
    # Rank-one downdates are applied lazily: H^-1 = Hi - V V^T with V the pending
    # factors, folded into Hi every _OBS_FOLD steps with one matrix product. At a
    # fold, removed weights are dropped from the arrays, so later steps work on
    # smaller matrices. Every problem removes one weight per step, so the sizes agree.
    Hi = np.repeat(Hinv[None], n_problems, axis=0)
    w = np.array(w, dtype=np.float64)
    forced = ~np.asarray(live, dtype=bool)
    index = np.tile(np.arange(n), (n_problems, 1))  # position -> original index
    d = Hi[:, np.arange(n), np.arange(n)].copy()  # diagonal of the current H^-1
    removed = np.zeros_like(forced)
    V = np.empty((n_problems, _OBS_FOLD, n))
    pending = 0
    for t in range(steps):
        with np.errstate(divide="ignore", invalid="ignore"):
            saliency = w * w / (2 * d)
        saliency[forced] = -np.inf
        saliency[removed] = np.inf
        q = np.argmin(saliency, axis=1)
        order[:, t] = index[rows, q]
        cost[:, t] = np.where(forced[rows, q], 0.0, saliency[rows, q])
        u = Hi[rows, q, :]  # row q of the folded inverse (symmetric: = column q)
        if pending:
            u -= np.matmul(V[rows, :pending, q][:, None, :], V[:, :pending])[:, 0]
        dq = u[rows, q]
        w -= u * (w[rows, q] / dq)[:, None]
        w[rows, q] = 0.0
        v = u / np.sqrt(dq)[:, None]
        d -= v * v
        removed[rows, q] = True
        forced[rows, q] = False
        V[:, pending] = v
        pending += 1
        if pending == _OBS_FOLD or t == steps - 1:
            Vp = V[:, :pending]
            Hi -= np.matmul(Vp.transpose(0, 2, 1), Vp)
            pending = 0
            n -= int(np.count_nonzero(removed[0]))  # the same count in every problem
            keep = np.sort(np.argsort(removed, axis=1, kind="stable")[:, :n], axis=1)
            Hi = Hi[rows[:, None, None], keep[:, :, None], keep[:, None, :]]
            w, d, index = (a[rows[:, None], keep] for a in (w, d, index))
            forced, removed = forced[rows[:, None], keep], removed[rows[:, None], keep]
            V = V[:, :, :n]
    return order, cost


def refit(H, w, keep):
    """The kept weights that best reproduce the original outputs, the others zero.

    Minimises ``(v - w)^T H (v - w)`` over the ``v`` that are zero outside
    `keep`: solves ``H[K, K] v_K = (H w)_K``, independently for each problem.

    Parameters
    ----------
    H : ndarray of shape (n, n), symmetric positive definite
    w : ndarray of shape (n_problems, n)
    keep : bool ndarray of shape (n_problems, n)

    Returns
    -------
    ndarray of shape (n_problems, n)
    """
    target = w @ H  # H symmetric: row b is (H w_b)^T
    out = np.zeros_like(w)
    for b in range(w.shape[0]):
        K = np.flatnonzero(keep[b])
        if K.size:
            out[b, K] = scipy.linalg.solve(H[np.ix_(K, K)], target[b, K], assume_a="pos")
    return out


def _share_budget(cost, n_forced, k):
    """How many live weights each problem removes so that the total is `k` and the
    summed cost is low: the k cheapest steps overall, each problem's steps taken in
    order (its costs are made non-decreasing first, so the choice is a prefix)."""
    n_problems, steps = cost.shape
    eligible = np.arange(steps)[None, :] >= n_forced[:, None]
    ranked = np.where(eligible, cost, -np.inf)
    ranked = np.maximum.accumulate(ranked, axis=1)
    chosen = select_lowest(ranked, k, eligible=eligible)
    return chosen.sum(axis=1)


def _obs_layer(W, H, L, live, k):
    """Exact layer-wise OBS: new (W, mask) for a layer with weights W (fan_in, fan_out)."""
    fan_in, fan_out = W.shape
    order, cost = obs_removals(_inverse(L), W.T, live.T, fan_in)
    n_forced = fan_in - live.sum(axis=0)
    n_removed = n_forced + _share_budget(cost, n_forced, k)
    keep = np.ones((fan_out, fan_in), dtype=bool)
    for j in range(fan_out):
        keep[j, order[j, :n_removed[j]]] = False
    return refit(H, W.T, keep).T, keep.T


def layer_obs_cost(model):
    """Multiply-adds of layer-wise OBS on `model`: about fan_out * fan_in^3 / 3 per layer."""
    return [layer.fan_out * layer.fan_in ** 3 // 3 for layer in model.layers]


def gauss_newton(model, X):
    """The Gauss-Newton matrix of the model's mean loss over all weights.

    ``G = mean over samples of J^T H J``, with J the Jacobian of the outputs
    with respect to every weight (layer after layer, each ``W`` in row-major
    order) and H the loss Hessian with respect to the outputs: ``diag(p) - p p^T``
    for cross-entropy, ``I / n_outputs`` for squared error;
    :func:`~minprune.pruning.criteria.gauss_newton_diagonal` is its diagonal.
    Computed in float64 from one backward pass per output.

    Parameters
    ----------
    model : MLP
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    ndarray of shape (n_weights, n_weights)
    """
    shadow = float64_copy(model)
    acts = shadow._forward(X)
    n_weights = sum(layer.W.size for layer in model.layers)
    G = np.zeros((n_weights, n_weights))
    for v in _output_hessian_factors(shadow, acts[-1]):   # H = sum_c v_c v_c^T per sample
        deltas = backprop_deltas(shadow, acts, v)
        J = np.concatenate([(a[:, :, None] * dl[:, None, :]).reshape(len(X), -1)
                            for a, dl in zip(acts[:-1], deltas)], axis=1)
        G += J.T @ J
    return G / len(X)


def _validate_damping(damping):
    return validate_float(damping, "damping", low=0.0, low_inclusive=True)


def _layer_rows(model, new_masks, old_masks):
    return [LayerPruning(f"layers[{i}]", m.shape, int(np.count_nonzero(old & ~m)),
                         int(m.size - np.count_nonzero(m)), m.size)
            for i, (m, old) in enumerate(zip(new_masks, old_masks))]


class ReconstructionReport(PruningReport):
    """A :class:`~minprune.pruning.weights.PruningReport` with, per layer, the
    relative reconstruction error ``||X W - X W_new||_F / ||X W||_F`` on the
    calibration inputs that reached the layer (``errors``, one float per layer)."""

    def __init__(self, kind, criterion, scope, amount, rows, errors):
        super().__init__(kind, criterion, scope, amount, rows)
        self.errors = list(errors)

    def _table(self):
        header, body, total = super()._table()
        body = [row + (f"{e:.4f}",) for row, e in zip(body, self.errors)]
        return header + ("output error",), body, total + ("",)

    def _title(self):
        if self.criterion == "reconstruct":
            return "reconstruct: the kept weights of every layer re-solved by least squares"
        return (f"prune_{self.criterion}(amount={self.amount!r}, {self.scope}): "
                f"{self.pruned_now} weights pruned, the rest updated")


def _relative_error(X, W, W_new):
    ref = np.linalg.norm(X @ W)
    return float(np.linalg.norm(X @ (W - W_new)) / ref) if ref > 0 else 0.0


def _layer_by_layer(model, X, counts, damping, prune_layer, reference=None):
    """Run `prune_layer(W, H, L, live, k) -> (W_new, mask_new)` on each layer in turn,
    with the inputs that reach it through the layers already pruned (H = L L^T).
    W is the layer of `reference` (default: `model` itself), live the mask of `model`."""
    new_W, new_masks, errors = [], [], []
    targets = float64_copy(model if reference is None else reference).layers
    for i, (layer, target, k) in enumerate(zip(model.layers, targets, counts)):
        H, L = layer_hessian(X, damping, f"layers[{i}]")
        W_new, mask = prune_layer(target.W.copy(), H, L, layer.mask.copy(), k)
        W_new = np.where(mask, W_new, 0.0)
        errors.append(_relative_error(X, target.W, W_new))
        new_W.append(W_new)
        new_masks.append(mask)
        X = _layer_input(X, W_new, target.b, target.activation)
    return new_W, new_masks, errors


def _commit(model, new_W, new_masks, label, criterion, scope, amount, errors):
    old = [layer.mask.copy() for layer in model.layers]
    commit_masks(model, new_masks, label=label,
                 weights=[W.astype(layer.W.dtype) for W, layer in zip(new_W, model.layers)])
    return ReconstructionReport("weights", criterion, scope, amount,
                                _layer_rows(model, new_masks, old), errors)


def prune_obs(model, amount, data, *, hessian="layer", damping=DAMPING):
    """Optimal Brain Surgeon: remove weights one at a time and re-solve the others, in place.

    Parameters
    ----------
    model : MLP
        Its masks and weights change (one step in ``model.mask_history``, so
        :func:`minprune.undo` restores both). Biases are unchanged.
    amount : float in [0, 1], int, or (``hessian="layer"``) a sequence of one per layer
        Weights to prune with the rule of :func:`minprune.prune_weights`: a
        fraction of those still unpruned, or a count; per layer for
        ``hessian="layer"``, over all weights for ``"full"``.
    data : ndarray of shape (n_samples, n_features), or a tuple (X, y)
        Calibration inputs (labels, if given, are not used).
    hessian : {"layer", "full"}
        ``"layer"``: for each layer, ``H = X^T X / n`` of its calibration
        inputs, and greedy OBS on each output unit (exact for the squared error
        of that unit's output); the layer's units share its budget by the costs
        of their removals. About ``fan_out * fan_in^3 / 3`` multiply-adds per
        layer, so networks beyond 10^10 are refused (784-1024-1024-10 would take
        minutes; use :func:`prune_sparsegpt`). ``"full"``: one greedy OBS over
        all weights with the Gauss-Newton matrix of the cross-entropy (every
        removal updates weights in every layer); needs a weights x weights
        matrix, so at most 5000 weights (the size of the oracle's networks).
    damping : float >= 0, default 0.01
        ``lambda = damping * mean(diag(H))`` is added to the diagonal of each
        Hessian; 0 demands an invertible one.

    Returns
    -------
    ReconstructionReport
        Per layer: weights pruned and, for ``"layer"``, the relative change of
        the layer's output on the calibration inputs.
    """
    validate_model(model)
    if not isinstance(hessian, str) or hessian not in HESSIANS:
        raise ValueError(f"hessian must be one of {list(HESSIANS)}, got {_describe(hessian)}")
    damping = _validate_damping(damping)
    amount = as_scalar(amount)
    available = [int(np.count_nonzero(layer.mask)) for layer in model.layers]
    if hessian == "full":
        n_weights = sum(layer.W.size for layer in model.layers)
        if n_weights > MAX_FULL_WEIGHTS:
            gb = 2 * 8 * n_weights ** 2 / 1e9
            raise ValueError(f"prune_obs(hessian='full') needs the {n_weights:,} x {n_weights:,} "
                             f"Gauss-Newton matrix of all the weights and its inverse ({gb:,.1f} "
                             f"GB in float64); it is meant for tiny networks of at most "
                             f"{MAX_FULL_WEIGHTS} weights. Use the layer-wise method, "
                             f"prune_obs(model, amount, data, hessian='layer') or "
                             f"prune_sparsegpt(model, amount, data)")
        k = resolve_amount(amount, sum(available))
        X = calibration_inputs(model, data, "prune_obs")
        return _prune_obs_full(model, amount, X, k, damping)
    counts = resolve_counts(amount, available, "layer")
    cost = layer_obs_cost(model)
    if sum(cost) > MAX_LAYER_OBS_COST:
        worst = int(np.argmax(cost))
        layer = model.layers[worst]
        raise ValueError(f"prune_obs(hessian='layer') updates one {layer.fan_in} x {layer.fan_in} "
                         f"inverse Hessian per output unit: about {sum(cost):.1e} multiply-adds "
                         f"for this network (layers[{worst}] alone {cost[worst]:.1e}), minutes in "
                         f"numpy; the limit is {MAX_LAYER_OBS_COST:.0e}. Use the layer-wise "
                         f"method that shares one inverse per layer: "
                         f"prune_sparsegpt(model, amount, data)")
    X = calibration_inputs(model, data, "prune_obs")
    if isinstance(amount, (list, tuple, np.ndarray)):
        amount = [as_scalar(a) for a in amount]

    new_W, new_masks, errors = _layer_by_layer(model, X, counts, damping, _obs_layer)
    return _commit(model, new_W, new_masks, f"weights obs/layer amount={amount!r}", "obs",
                   "layer", amount, errors)


def _prune_obs_full(model, amount, X, k, damping):
    H, L = damped(gauss_newton(model, X), damping, "the network (Gauss-Newton)")
    dense = float64_copy(model)
    w = np.concatenate([layer.W.ravel() for layer in dense.layers])[None]
    live = np.concatenate([layer.mask.ravel() for layer in dense.layers])[None]
    n_forced = int(np.count_nonzero(~live))
    order, _ = obs_removals(_inverse(L), w, live, n_forced + k)
    keep = np.ones_like(live)
    keep[0, order[0]] = False
    ends = np.cumsum([layer.W.size for layer in dense.layers])[:-1]
    new_W = [part.reshape(layer.W.shape) for part, layer in
             zip(np.split(refit(H, w, keep)[0], ends), dense.layers)]
    new_masks = [part.reshape(layer.W.shape) for part, layer in
                 zip(np.split(keep[0], ends), dense.layers)]
    errors = []
    for layer, W_new in zip(dense.layers, new_W):  # each layer's output change on its new inputs
        errors.append(_relative_error(X, layer.W, W_new))
        X = _layer_input(X, W_new, layer.b, layer.activation)
    return _commit(model, new_W, new_masks, f"weights obs/full amount={amount!r}", "obs", "full",
                   amount, errors)


# ------------------------------------------------------------------ SparseGPT
def _block_counts(live, k, block):
    """Split a layer's budget `k` over blocks of `block` inputs, in proportion to
    their live weights, so that the counts add up to exactly k."""
    per_block = np.add.reduceat(live.sum(axis=1), np.arange(0, live.shape[0], block))
    total = int(per_block.sum())
    if not total:
        return [0] * len(per_block)
    bounds = [round(k * int(c) / total) for c in np.cumsum(per_block)]
    return [b - a for a, b in zip([0] + bounds[:-1], bounds)]


def _sparsegpt_layer(W, L, live, k, n_m, block):
    """SparseGPT on one layer: new (W, mask). W (fan_in, fan_out) is changed in place."""
    fan_in, fan_out = W.shape
    # Eliminating inputs 0, 1, 2, ... in order: the inverse Hessian of the inputs
    # not yet eliminated, F = {i, ...}, has row i equal to U[i, i] * U[i, i:], with
    # U the upper Cholesky factor of H^-1 (H^-1 = U^T U). One factor serves every unit.
    U = scipy.linalg.cholesky(_inverse(L), lower=False)
    if n_m is not None:
        block = n_m[1] * max(1, block // n_m[1])  # N:M groups must not straddle blocks
    counts = None if n_m is not None else _block_counts(live, k, block)
    prune = ~live.copy()
    for start in range(0, fan_in, block):
        stop = min(fan_in, start + block)
        W1, U1 = W[start:stop], U[start:stop, start:stop]
        d = np.diag(U1)
        if counts is not None:
            score = W1 ** 2 / d[:, None] ** 2  # OBS saliency, up to the factor 1/2
            prune[start:stop] |= select_lowest(score, counts[start // block],
                                               eligible=live[start:stop])
        errors = np.zeros((stop - start, fan_out))
        for r in range(stop - start):
            if n_m is not None and r % n_m[1] == 0:
                g = slice(r, r + n_m[1])
                score = W1[g] ** 2 / d[g, None] ** 2
                prune[start:stop][g] = ~n_m_mask(score, live[start:stop][g], *n_m)
            err = np.where(prune[start + r], W1[r], 0.0) / d[r]
            W1[r:] -= np.outer(U1[r, r:], err)
            W1[r, prune[start + r]] = 0.0
            errors[r] = err
        W[stop:] -= U[start:stop, stop:].T @ errors
    return W, ~prune


def prune_sparsegpt(model, amount, data, *, n=None, m=None, damping=DAMPING,
                    block_size=_SPARSEGPT_BLOCK):
    """SparseGPT: prune each layer and update its remaining weights in one pass, in place.

    Layer by layer, with ``H = X^T X / n_samples + lambda I`` from the calibration
    inputs that reach the layer through the layers already pruned, the inputs
    are eliminated left to right in blocks: within a block, the weights with the
    lowest OBS saliency ``w^2 / [H^-1]_qq`` are chosen (unstructured: the block's
    share of the layer's budget, any units; N:M: n kept in every group of m
    inputs of each unit), then each input's pruned weights are zeroed and the
    weights of the inputs not yet reached are updated to compensate (Frantar &
    Alistarh 2023). Kept weights of inputs already passed are not revisited.

    Parameters
    ----------
    model : MLP
        Masks and weights change (one step in ``model.mask_history``;
        :func:`minprune.undo` restores both). Biases are unchanged.
    amount : float in [0, 1], int, a sequence of one per layer, or None with n and m
        As in :func:`minprune.prune_weights` with ``scope="layer"``.
    data : ndarray of shape (n_samples, n_features), or a tuple (X, y)
        Calibration inputs (labels, if given, are not used).
    n, m : int, optional
        N:M sparsity instead of an amount: every group of m consecutive inputs
        of each unit keeps at most n weights (the pattern of
        :func:`minprune.prune_n_m`). `amount` must then be None or ``1 - n / m``.
    damping : float >= 0, default 0.01
        ``lambda = damping * mean(diag(X^T X / n))``.
    block_size : int, default 128
        Inputs per block (rounded down to a multiple of m for N:M).

    Returns
    -------
    ReconstructionReport
    """
    validate_model(model)
    damping = _validate_damping(damping)
    if isinstance(block_size, bool) or not isinstance(block_size, numbers.Integral) \
            or block_size < 1:
        raise ValueError(f"block_size must be an int >= 1, got {_describe(block_size)}")
    amount = as_scalar(amount)
    available = [int(np.count_nonzero(layer.mask)) for layer in model.layers]
    if n is None and m is None:
        if amount is None:
            raise TypeError("amount must be a float in [0, 1], an int count or a sequence of "
                            "them; amount=None is for N:M only (pass n and m)")
        counts = resolve_counts(amount, available, "layer")
        n_m, scope = None, "layer"
    else:
        if n is None or m is None:
            raise ValueError(f"n and m go together (keep n of every m inputs), got n={n!r}, "
                             f"m={m!r}")
        n_m = _validate_n_m(n, m)
        if amount is not None and not (isinstance(amount, numbers.Real)
                                       and np.isclose(amount, 1 - n_m[0] / n_m[1])):
            raise ValueError(f"with n={n_m[0]}, m={n_m[1]} the sparsity is fixed at "
                             f"{1 - n_m[0] / n_m[1]:g}: pass amount=None, got amount={amount!r}")
        counts, scope = [0] * len(model.layers), f"{n_m[0]}:{n_m[1]}"
    X = calibration_inputs(model, data, "prune_sparsegpt")
    if isinstance(amount, (list, tuple, np.ndarray)):
        amount = [as_scalar(a) for a in amount]

    def one_layer(W, H, L, live, k):
        return _sparsegpt_layer(W, L, live, k, n_m, int(block_size))

    new_W, new_masks, errors = _layer_by_layer(model, X, counts, damping, one_layer)
    return _commit(model, new_W, new_masks, f"weights sparsegpt/{scope} amount={amount!r}",
                   "sparsegpt", scope, amount, errors)


# ------------------------------------------------------------------ re-solving a mask
def reconstruct(model, reference, data, *, damping=DAMPING):
    """Re-solve the kept weights of every layer of `model` by least squares, in place.

    Its masks stay as they are. Layer by layer, the kept weights of each output
    unit are set to those that best reproduce `reference`'s output of that unit
    on the calibration inputs reaching the layer through the layers already
    re-solved (:func:`refit`: exact, not one pass). Applied after
    :func:`prune_sparsegpt` with the dense model as `reference`, it measures how
    much of SparseGPT's loss comes from its one-pass update rather than from
    its mask. Recorded as one step in ``model.mask_history``.

    Parameters
    ----------
    model : MLP
        The pruned model; its weights change.
    reference : MLP
        Same layer sizes, e.g. the dense model before pruning (``rewind(model, 0)``
        on a copy gives it back).
    data : ndarray of shape (n_samples, n_features), or a tuple (X, y)
        Calibration inputs.
    damping : float >= 0, default 0.01

    Returns
    -------
    ReconstructionReport
    """
    validate_model(model)
    validate_model(reference, "reference")
    if reference.layer_sizes != model.layer_sizes:
        raise ValueError(f"reference must have the layer sizes of model {model.layer_sizes}, "
                         f"got {reference.layer_sizes}")
    damping = _validate_damping(damping)
    X = calibration_inputs(model, data, "reconstruct")

    def one_layer(W, H, L, live, k):
        return refit(H, W.T, live.T).T, live

    new_W, new_masks, errors = _layer_by_layer(model, X, [0] * len(model.layers), damping,
                                               one_layer, reference=reference)
    return _commit(model, new_W, new_masks, "weights re-solved (least squares)", "reconstruct",
                   "layer", None, errors)


# ------------------------------------------------------------------ outlier features
def rescale_units(model, factor, n_units, data):
    """Make the most important hidden units `factor` times louder without changing the function.

    A ReLU unit's incoming weights and bias multiplied by ``c > 0`` and its
    outgoing weights divided by ``c`` compute exactly the same network
    (ReLU is positively homogeneous; Dinh et al. 2017). Large language models
    develop a few such loud hidden features (Dettmers et al. 2022); this builds
    them on purpose, so that a criterion that reads only weights (magnitude)
    can be compared with one that also reads inputs (Wanda, SparseGPT), whose
    choices do not change.

    Parameters
    ----------
    model : MLP
        ReLU hidden layers. Not modified.
    factor : float > 0
    n_units : int
        Units made louder in each hidden layer: those with the largest
        ``||a_j|| * ||W_next[j, :]||`` on `data` (what they pass on).
    data : ndarray of shape (n_samples, n_features), or a tuple (X, y)

    Returns
    -------
    rescaled : MLP
        A copy with the same outputs (to rounding).
    units : list of int ndarray
        The rescaled units of each hidden layer.
    """
    validate_model(model)
    if model.activation != "relu":
        raise ValueError(f"rescale_units needs ReLU hidden units (positively homogeneous), this "
                         f"model's are {model.activation!r}")
    factor = validate_float(factor, "factor", low=0.0)
    X = calibration_inputs(model, data, "rescale_units")
    out = model.copy()
    acts = float64_copy(model)._forward(X)
    units = []
    for i in range(len(model.layers) - 1):
        if isinstance(n_units, bool) or not isinstance(n_units, numbers.Integral) \
                or not 0 <= n_units <= model.layers[i].fan_out:
            raise ValueError(f"n_units must be an int in [0, {model.layers[i].fan_out}] (the units "
                             f"of layers[{i}]), got {n_units!r}")
        nxt = model.layers[i + 1]
        importance = np.linalg.norm(acts[i + 1], axis=0) * np.linalg.norm(
            (nxt.W * nxt.mask).astype(np.float64), axis=1)
        u = np.sort(np.argsort(importance, kind="stable")[len(importance) - n_units:])
        out.layers[i].W[:, u] *= factor
        out.layers[i].b[u] *= factor
        out.layers[i + 1].W[u] /= factor
        units.append(u)
    return out, units
