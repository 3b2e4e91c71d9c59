"""Gradient clipping. Each function rescales a list of gradient arrays in place and returns the norm (or max
|g|) it saw before clipping, so a lesson can show how often clipping acted."""

import numpy as np

from nncourse.core import _validate


def clip_by_value(grads, threshold):
    """Every entry into [-threshold, threshold]. Changes the gradient's direction."""
    _validate.gradients(grads)
    _validate.positive("threshold", threshold)
    before = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    for g in grads:
        np.clip(g, -threshold, threshold, out=g)
    return before


def clip_by_norm(grads, threshold):
    """Each tensor separately: if ||g|| > threshold, g <- threshold g / ||g||. Returns the largest norm seen."""
    _validate.gradients(grads)
    _validate.positive("threshold", threshold)
    largest = 0.0
    for g in grads:
        norm = float(np.linalg.norm(g))
        largest = max(largest, norm)
        if norm > threshold:
            g *= threshold / norm
    return largest


def clip_by_global_norm(grads, threshold):
    """Pascanu et al. (2013), algorithm 1: with ||g|| the norm of all gradients together, if ||g|| >= threshold,
    g <- threshold g / ||g||. Keeps the direction of the whole update. Returns ||g|| before clipping."""
    _validate.gradients(grads)
    _validate.positive("threshold", threshold)
    norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
    if norm >= threshold and norm > 0:
        for g in grads:
            g *= threshold / norm
    return norm


CLIPPERS = {"value": clip_by_value, "norm": clip_by_norm, "global_norm": clip_by_global_norm}


def clipper(mode, threshold):
    """A `clip` hook for `fit`: mode one of 'none', 'value', 'norm', 'global_norm'."""
    _validate.choice("clipping mode", mode, ["none", *CLIPPERS])
    if mode == "none":
        return None
    _validate.positive("threshold", threshold)
    fn = CLIPPERS[mode]
    return lambda grads: fn(grads, threshold)
