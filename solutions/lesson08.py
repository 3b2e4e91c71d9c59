"""Solutions to lesson 08's exercises (for instructors): each function passes nncourse.exercises.check."""

import numpy as np


def trainable_parameter_count(sizes, k):
    layers = list(zip(sizes[:-1], sizes[1:]))
    return sum(n_in * n_out + n_out for n_in, n_out in layers[k:])


def frozen_sgd_step(layers, lr):
    return [W - lr * dW if trainable else W for W, dW, trainable in layers]


def softmax_head_gradient(logits, y):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return (p - y) / len(logits)
