"""Solutions to lesson 03's exercises (for instructors): each function passes nncourse.exercises.check."""

import numpy as np


def sgd_step(w, g, lr):
    return w - lr * g


def momentum_step(w, v, g, lr, mu):
    v = mu * v + g
    return w - lr * v, v


def adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
