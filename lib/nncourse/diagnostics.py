"""Per-layer statistics of a model after a forward and backward pass, for tables and plots."""
import numpy as np


def dead_unit_fraction(z):
    """Fraction of units (columns of the pre-activation z, shape (N, units)) that are <= 0 for every sample:
    a ReLU unit like that passes no gradient and never recovers."""
    return float(np.mean(np.all(z <= 0, axis=0)))


def saturated_fraction(a, activation_name, tol=0.01):
    """Fraction of activations within `tol` of the flat ends of a sigmoid (0, 1) or tanh (-1, 1)."""
    if activation_name == "sigmoid":
        return float(np.mean((a < tol) | (a > 1 - tol)))
    if activation_name == "tanh":
        return float(np.mean(np.abs(a) > 1 - tol))
    return 0.0


def layer_stats(model):
    """A list with one dict per Dense layer: mean and std of its activations, std of the back-propagated
    gradient dL/dz, the fraction saturated and dead, and the norm of dL/dW."""
    rows = []
    for rec in model.records():
        row = {"layer": rec["index"] + 1, "activation": rec["activation"],
               "mean": float(np.mean(rec["a"])), "std": float(np.std(rec["a"])),
               "saturated": saturated_fraction(rec["a"], rec["activation"]),
               "dead": dead_unit_fraction(rec["z"]) if rec["activation"] in ("relu",) else 0.0,
               "grad_norm": float(np.linalg.norm(rec["dW"]))}
        if "dz" in rec:
            row["grad_std"] = float(np.std(rec["dz"]))
        rows.append(row)
    return rows
