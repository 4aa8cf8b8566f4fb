"""The exact oracle: what removing one weight really costs, and which criterion knows it.

Every criterion is a cheap guess at one quantity: how much the loss goes up when
a weight is removed. On a tiny network we can simply measure it, weight by
weight, by setting it to zero and re-evaluating the loss. :func:`rank_criteria`
then asks how well each criterion's ranking agrees with the measured one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._table import html_table, text_table
from ..model import _FORWARD, validate_model
from .criteria import validate_data, names, weight_importance
from .rules import resolve_amount, select_lowest
from .weights import prune_weights

MAX_WEIGHTS = 5000  # oracle_saliency refuses larger models: its cost is weights x a forward pass
_CHUNK_FLOATS = 2**22  # ~32 MB of float64 per batch of perturbed copies


def oracle_saliency(model, data):
    """True change in mean loss when each unpruned weight alone is set to zero.

    For weight w_k: ``L(w with w_k = 0) - L(w)``, measured by re-evaluating the
    network in float64 (positive: removing it hurts; negative: removing it helps).
    Only the layer holding w_k and the layers after it are recomputed, for a
    batch of weights at a time. Already-pruned weights get exactly 0.0: setting
    a zero weight to zero changes nothing.

    Parameters
    ----------
    model : MLP
        At most ``MAX_WEIGHTS`` (5000) weights in total: the cost is one forward
        pass of `data` per weight.
    data : tuple (X, y)
        X of shape (n_samples, n_features), y of shape (n_samples,).

    Returns
    -------
    list of ndarray
        One float64 array of shape (fan_in, fan_out) per layer, in nats.
    """
    validate_model(model)
    n_weights = sum(layer.W.size for layer in model.layers)
    if n_weights > MAX_WEIGHTS:
        raise ValueError(f"oracle_saliency re-evaluates the loss once per weight and is meant "
                         f"for tiny networks of at most {MAX_WEIGHTS} weights; this model has "
                         f"{n_weights}")
    X, y = validate_data(model, data, "oracle_saliency")
    Ws = [(layer.W * layer.mask).astype(np.float64) for layer in model.layers]
    bs = [(layer.b * layer.bias_mask).astype(np.float64) for layer in model.layers]
    funcs = [_FORWARD[layer.activation] for layer in model.layers]
    acts, pre = [X.astype(np.float64)], []
    for W, b, f in zip(Ws, bs, funcs):
        pre.append(acts[-1] @ W + b)
        acts.append(f(pre[-1].copy()))
    rows = np.arange(len(y))

    def mean_loss(logits):  # logits (..., n_samples, n_classes) -> (...)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return -logp[..., rows, y].mean(axis=-1)

    base = mean_loss(acts[-1])
    out = []
    for i, layer in enumerate(model.layers):
        result = np.zeros(layer.W.shape)
        fan_in_idx, fan_out_idx = np.nonzero(layer.mask)
        width = max(W.shape[1] for W in Ws[i:])
        chunk = max(1, _CHUNK_FLOATS // (len(X) * width))
        for start in range(0, fan_in_idx.size, chunk):
            r, c = fan_in_idx[start:start + chunk], fan_out_idx[start:start + chunk]
            z = np.repeat(pre[i][None], r.size, axis=0)  # (batch, n_samples, fan_out)
            k = np.arange(r.size)
            z[k, :, c] -= acts[i][:, r].T * Ws[i][r, c][:, None]
            a = funcs[i](z)
            for W, b, f in zip(Ws[i + 1:], bs[i + 1:], funcs[i + 1:]):
                a = f(a @ W + b)
            result[r, c] = mean_loss(a) - base
        out.append(result)
    return out


def rankdata(x):
    """Ranks 1..n of the entries of `x` (flattened), ties given their average rank."""
    x = np.asarray(x, dtype=np.float64).ravel()
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    new_group = np.r_[True, sorted_x[1:] != sorted_x[:-1]]
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], x.size]
    ranks = np.empty(x.size)
    ranks[order] = ((starts + ends + 1) / 2)[np.cumsum(new_group) - 1]
    return ranks


def spearman(a, b):
    """Spearman rank correlation of two equally long arrays (NaN if either is constant or
    has fewer than 2 entries)."""
    ra, rb = rankdata(a), rankdata(b)
    if ra.size != rb.size:
        raise ValueError(f"spearman needs arrays of equal size, got {ra.size} and {rb.size}")
    if ra.size < 2:
        return float("nan")
    ra -= ra.mean()
    rb -= rb.mean()
    denom = np.sqrt((ra @ ra) * (rb @ rb))
    return float(ra @ rb / denom) if denom > 0 else float("nan")


@dataclass
class CriteriaRanking:
    """How well each weight criterion agrees with the exact oracle.

    Attributes
    ----------
    criteria : tuple of str
    spearman : dict str -> float
        Rank correlation of the criterion's importance with the oracle's loss
        change, over the unpruned weights (1: same order; 0: unrelated).
    bottom_k : dict str -> float
        Fraction of the oracle's `k` least harmful weights that the criterion
        also ranks among its `k` lowest: how often it would prune the right ones.
    k, n_weights : int
        Size of the bottom set, and the number of unpruned weights compared.
    oracle : list of ndarray
        :func:`oracle_saliency` of the model, one array of ``W``'s shape per layer.
    scores : dict str -> list of ndarray
        Each criterion's importance, same shapes.
    """

    criteria: tuple
    spearman: dict
    bottom_k: dict
    k: int
    n_weights: int
    oracle: list = field(repr=False)
    scores: dict = field(repr=False)

    def _rows(self):
        return [(c, f"{self.spearman[c]:+.3f}", f"{100 * self.bottom_k[c]:.1f}%")
                for c in self.criteria]

    def _title(self):
        return (f"criteria vs the exact oracle on {self.n_weights} unpruned weights "
                f"(bottom k = {self.k})")

    _HEADERS = ("criterion", "spearman", "bottom-k agreement")

    def __repr__(self):
        return text_table(self._HEADERS, self._rows(), title=self._title())

    def _repr_html_(self):
        return html_table(self._HEADERS, self._rows(), title=self._title())


def rank_criteria(model, data, criteria=("magnitude", "taylor", "obd", "random"), seed=0, k=0.2):
    """Compare weight criteria with the exact oracle on a tiny network.

    Parameters
    ----------
    model : MLP
        At most 5000 weights (see :func:`oracle_saliency`). Not modified.
    data : tuple (X, y)
        The batch on which the oracle, ``taylor``, ``snip`` and ``obd`` are measured.
    criteria : sequence of str
        Names from ``("magnitude", "random", "taylor", "snip", "obd")``.
    seed : int, np.random.Generator or None
        For ``random``.
    k : float in [0, 1] or int
        Size of the bottom set, with the rule of ``amount``: a fraction of the
        unpruned weights (rounded) or a count. Default: 20% of them.

    Returns
    -------
    CriteriaRanking

    Notes
    -----
    The oracle is signed: on a model that is not at a minimum, removing some
    weights *lowers* the loss, and those are the best ones to prune. Criteria
    that score with absolute values (magnitude, taylor) cannot see that sign;
    near a minimum the gradient vanishes and ``obd`` becomes the loss change's
    second-order Taylor expansion. Ties (e.g. every weight of a dead unit scores
    0) are broken by position, exactly as the pruning actions break them.
    """
    validate_model(model)
    if isinstance(criteria, str) or not hasattr(criteria, "__iter__"):
        raise TypeError(f"criteria must be a sequence of criterion names, got {criteria!r}")
    criteria = tuple(criteria)
    for c in criteria:
        if c not in names("weights"):
            raise ValueError(f"criteria must hold names from {list(names('weights'))}, got {c!r}")
    if not criteria:
        raise ValueError("criteria must name at least one criterion, got an empty sequence")
    unpruned = np.concatenate([layer.mask.ravel() for layer in model.layers])
    n = int(np.count_nonzero(unpruned))
    k_count = resolve_amount(k, n, name="k")
    oracle = oracle_saliency(model, data)
    flat_oracle = np.concatenate([o.ravel() for o in oracle])
    oracle_bottom = select_lowest(flat_oracle, k_count, eligible=unpruned)
    scores, rho, agree = {}, {}, {}
    for c in criteria:
        scores[c] = weight_importance(model, c, data=data, seed=seed)
        flat = np.concatenate([s.ravel() for s in scores[c]])
        rho[c] = spearman(flat[unpruned], flat_oracle[unpruned])
        bottom = select_lowest(flat, k_count, eligible=unpruned)
        agree[c] = (float(np.count_nonzero(bottom & oracle_bottom)) / k_count if k_count
                    else float("nan"))
    return CriteriaRanking(criteria, rho, agree, k_count, n, oracle, scores)


# ------------------------------------------------------------------ grading whole methods
def _greedy_oracle_masks(model, k, data, rounds):
    """Masks after removing `k` weights greedily by the oracle, in `rounds` steps."""
    trial = model.copy()
    live = np.concatenate([layer.mask.ravel() for layer in trial.layers])
    ends = np.cumsum([layer.W.size for layer in trial.layers])[:-1]
    done = 0
    for r in range(1, rounds + 1):
        step = round(k * r / rounds) - done
        if not step:
            continue
        flat = np.concatenate([o.ravel() for o in oracle_saliency(trial, data)])
        live &= ~select_lowest(flat, step, eligible=live)
        for layer, part in zip(trial.layers, np.split(live, ends)):
            layer.mask = part.reshape(layer.W.shape).copy()
            layer.apply_mask()
        done += step
    return [layer.mask for layer in trial.layers]


@dataclass
class MethodRanking:
    """The loss each pruning method reaches, against the greedy oracle.

    Attributes
    ----------
    amount : float or int
        As passed to every method.
    dense_loss : float
        Mean loss on the data before pruning (nats).
    oracle_loss : float
        After removing the same number of weights greedily by the exact oracle
        (no weight update): the best that choosing alone reaches.
    losses : dict str -> float
        Loss after each method.
    sparsity : dict str -> float
        Weight sparsity each method reached (per-layer methods round per layer).
    rounds : int
        Rounds of the greedy oracle.
    """

    amount: object
    dense_loss: float
    oracle_loss: float
    losses: dict
    sparsity: dict
    rounds: int

    _HEADERS = ("method", "sparsity", "loss", "change from dense", "above the greedy oracle")

    def _rows(self):
        rows = [(f"greedy oracle ({self.rounds} rounds)", f"{100 * self.sparsity['oracle']:.1f}%",
                 f"{self.oracle_loss:.4f}", f"{self.oracle_loss - self.dense_loss:+.4f}", "")]
        for name, loss in self.losses.items():
            rows.append((name, f"{100 * self.sparsity[name]:.1f}%", f"{loss:.4f}",
                         f"{loss - self.dense_loss:+.4f}", f"{loss - self.oracle_loss:+.4f}"))
        return rows

    def _title(self):
        return (f"mean loss after pruning amount={self.amount!r} with no fine-tuning "
                f"(dense {self.dense_loss:.4f} nats)")

    def __repr__(self):
        return text_table(self._HEADERS, self._rows(), title=self._title())

    def _repr_html_(self):
        return html_table(self._HEADERS, self._rows(), title=self._title())


RANKABLE_METHODS = ("sparsegpt", "obs")  # besides every weight criterion


def rank_methods(model, data, amount, methods=("magnitude", "obd", "wanda", "sparsegpt", "obs"),
                 *, rounds=50, seed=0):
    """Grade whole pruning methods by the loss they reach, against the greedy oracle.

    Ranking single removals (:func:`rank_criteria`) cannot grade methods that
    also move the weights they keep. This compares what counts: the loss on
    `data` after pruning `amount` of the weights, with no fine-tuning. The
    reference removes the same number of weights greedily by the exact oracle,
    in `rounds` steps, each recomputing :func:`oracle_saliency` on the pruned
    network: the best any method reaches by choosing weights alone.

    Parameters
    ----------
    model : MLP
        At most 5000 weights. Not modified.
    data : tuple (X, y)
        Where losses are measured; also the criteria's batch and the calibration
        inputs of ``sparsegpt`` and ``obs``.
    amount : float in [0, 1] or int
        Weights to prune, with the rule of :func:`minprune.prune_weights`.
    methods : sequence of str
        Weight criteria (one global ranking; ``wanda`` per output unit) and
        ``"sparsegpt"`` (per layer) or ``"obs"`` (full Gauss-Newton Hessian, global).
    rounds : int >= 1, default 50
        Rounds of the greedy oracle, each removing ``k / rounds`` weights. Fewer,
        larger rounds are cheaper and worse: the removals of one round interact
        (at 60% on a 64-16-10 digits network, 10 rounds reach a loss ten times
        that of 100 rounds).
    seed : int
        For the ``random`` criterion.

    Returns
    -------
    MethodRanking
    """
    from .reconstruction import prune_obs, prune_sparsegpt  # scipy.linalg: loaded when needed

    validate_model(model)
    if isinstance(methods, str) or not hasattr(methods, "__iter__"):
        raise TypeError(f"methods must be a sequence of method names, got {methods!r}")
    methods = tuple(methods)
    allowed = names("weights") + RANKABLE_METHODS
    for m in methods:
        if m not in allowed:
            raise ValueError(f"methods must hold names from {list(allowed)}, got {m!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be an int >= 1, got {rounds!r}")
    X, y = validate_data(model, data, "rank_methods")
    live = sum(int(np.count_nonzero(layer.mask)) for layer in model.layers)
    k = resolve_amount(amount, live)

    def sparsity(m):
        return 1 - sum(int(np.count_nonzero(layer.mask)) for layer in m.layers) / sum(
            layer.W.size for layer in m.layers)

    oracle = model.copy()
    for layer, mask in zip(oracle.layers, _greedy_oracle_masks(model, k, (X, y), rounds)):
        layer.mask = mask
        layer.apply_mask()
    losses, reached = {}, {"oracle": sparsity(oracle)}
    for name in methods:
        trial = model.copy()
        if name == "sparsegpt":
            prune_sparsegpt(trial, amount, X)
        elif name == "obs":
            prune_obs(trial, amount, X, hessian="full")
        elif name == "wanda":
            prune_weights(trial, amount, criterion=name, scope="output", data=X)
        else:
            prune_weights(trial, amount, criterion=name, scope="global", data=(X, y), seed=seed,
                          min_density=0)
        losses[name] = trial.loss(X, y)
        reached[name] = sparsity(trial)
    return MethodRanking(amount, model.loss(X, y), oracle.loss(X, y), losses, reached, rounds)
