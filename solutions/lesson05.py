"""Solutions to lesson 05's exercises (for instructors): each function passes nncourse.exercises.check."""

import numpy as np


def first_layer_gradient(weight, depth, width):
    return -(width ** (depth - 1)) * weight**depth


def clip_by_value(grads, threshold):
    return [np.clip(g, -threshold, threshold) for g in grads]


def clip_by_global_norm(grads, threshold):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    if norm < threshold:
        return grads
    return [g * (threshold / norm) for g in grads]


def residual_backward(x, W, b, dout):
    z = x @ W + b
    dz = dout * (z > 0)
    return dout + dz @ W.T, x.T @ dz, dz.sum(axis=0)
