"""Per-layer statistics of a model after a forward and backward pass, for tables and plots."""

from typing import Any

import numpy as np

from nncourse.core import _validate
from nncourse.core.layers import ACTIVATIONS


def dead_unit_fraction(z: np.ndarray) -> float:
    """Fraction of units (columns of the pre-activation z, shape (N, units)) that are <= 0 for every sample:
    a ReLU unit like that passes no gradient and never recovers."""
    z = _validate.pre_activations("z", z)
    return float(np.mean(np.all(z <= 0, axis=0)))


def saturated_fraction(a: np.ndarray, activation: str, tol: float = 0.01) -> float:
    """Fraction of activations within `tol` of the flat ends of a sigmoid (0, 1) or tanh (-1, 1); 0 for
    the other activations (their outputs have no flat end that squeezes the gradient)."""
    _validate.choice("activation", activation, ACTIVATIONS)
    _validate.positive("tol", tol)
    if activation == "sigmoid":
        return float(np.mean((a < tol) | (a > 1 - tol)))
    if activation == "tanh":
        return float(np.mean(np.abs(a) > 1 - tol))
    return 0.0


def layer_stats(model: Any) -> list[dict[str, Any]]:
    """A list with one dict per Dense layer: mean and std of its activations, std of its pre-activations z
    ('z_std'), std of the back-propagated gradient dL/dz, the fraction saturated and dead, and the norm of
    dL/dW."""
    rows = []
    _validate.model(model, ("records",))
    for rec in model.records():
        row = {
            "layer": rec["index"] + 1,
            "activation": rec["activation"],
            "mean": float(np.mean(rec["a"])),
            "std": float(np.std(rec["a"])),
            "z_std": float(np.std(rec["z"])),
            "saturated": saturated_fraction(rec["a"], rec["activation"]) if rec["activation"] in ACTIVATIONS else 0.0,
            "dead": dead_unit_fraction(rec["z"]) if rec["activation"] in ("relu",) else 0.0,
            "grad_norm": float(np.linalg.norm(rec["dW"])),
        }
        if "dz" in rec:
            row["grad_std"] = float(np.std(rec["dz"]))
        rows.append(row)
    return rows


def dense_layers(model: Any) -> list:
    """Every Dense layer of a model in forward order, looking inside blocks that hold `layers`
    (ResidualBlock, Sequential): the layers whose weight gradients the per-layer plots show."""
    from nncourse.core.layers import Dense

    out = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, Dense):
            out.append(layer)
        elif hasattr(layer, "layers"):
            out.extend(dense_layers(layer))
    return out


def weight_grad_norms(model: Any) -> np.ndarray:
    """||dL/dW|| (Frobenius) of every Dense layer, input side first, after a backward pass. Shape (layers,)."""
    return np.array([np.linalg.norm(layer.grads["W"]) for layer in dense_layers(model)])


def backprop_probe(model: Any, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Forward X (N, D_in), then back-propagate an upstream gradient dL/d(output) of i.i.d. N(0, 1) entries
    drawn from `rng`: a loss-free way to see how gradients travel through a network at initialization (the
    per-layer ratios do not depend on the loss; the overall scale does). Returns the output (N, D_out)."""
    _validate.model(model, ("forward", "backward"))
    _validate.rng(rng)
    out = model.forward(_validate.model_input("X", X, model, ndim=2))
    model.backward(rng.normal(size=out.shape))
    return out


def std_ratio(stds: np.ndarray) -> float:
    """Geometric mean of stds[l+1] / stds[l]: the average factor by which a per-layer std changes per layer,
    (stds[-1] / stds[0]) ** (1 / (L - 1))."""
    stds = _validate.finite_array("stds", stds)
    if stds.ndim != 1 or stds.size < 2 or np.any(stds <= 0):
        raise _validate.InputError(
            f"std_ratio needs at least two positive stds, got shape {stds.shape}"
            + (f", smallest {stds.min():g}" if stds.size else "")
        )
    return float((stds[-1] / stds[0]) ** (1.0 / (stds.size - 1)))


def format_table(rows: list[dict[str, Any]], columns: list[str], fmt: str = ".4g") -> str:
    """Rows of dicts as a fixed-width text table with the given columns, numbers rounded with `fmt`
    (so a checked notebook cell prints the same text on every run)."""

    def cell(v):
        return format(v, fmt) if isinstance(v, (float, np.floating)) else str(v)

    for i, row in enumerate(rows):
        missing = [c for c in columns if c not in row]
        if missing:
            raise _validate.InputError(f"rows[{i}] has no column {missing[0]!r}; it has: {', '.join(map(str, row))}")
    body = [[cell(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in body)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in body]
    return "\n".join(lines)
