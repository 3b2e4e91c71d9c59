"""Solutions to lesson 06's exercises (for instructors): each function passes nncourse.exercises.check."""

import numpy as np


def batchnorm_forward(x, gamma, beta):
    mu, var = x.mean(axis=0), x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + 1e-5)
    return gamma * x_hat + beta


def batchnorm_backward(dout, x_hat, gamma, std):
    g = dout * gamma
    dx = (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def l2_gradients(W, b, dW, db, l2):
    return dW + l2 * W, db


def dropout_forward(x, mask, rate):
    return x * mask / (1 - rate)
