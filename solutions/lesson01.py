"""Solutions to lesson 01's exercises (for instructors): each function passes nncourse.exercises.check."""

import numpy as np


def sigmoid_derivative(a):
    return a * (1 - a)


def tanh_derivative(a):
    return 1 - a**2


def neuron_step(x, w, b, t):
    a = 1 / (1 + np.exp(-(x @ w + b)))
    dz = (a - t) * a * (1 - a)
    return a, x.T @ dz, dz.sum()
