"""Solutions to lesson 04's exercises (for instructors): each function passes nncourse.exercises.check."""

import numpy as np


def sum_std(n, std_w, x_rms):
    return np.sqrt(n) * std_w * x_rms


def he_std(fan_in, fan_out):
    return np.sqrt(2 / fan_in)


def glorot_limit(fan_in, fan_out):
    return np.sqrt(6 / (fan_in + fan_out))


def relu_std_at_depth(std_first, depth, c):
    return std_first * np.sqrt(c / 2) ** (depth - 1)
