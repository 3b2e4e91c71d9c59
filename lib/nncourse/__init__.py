"""How neural networks are trained: the course library.

Core (imported here): layers, model, losses, init, optim, train, data, gradcheck, diagnostics, plots, widgets.
Imported by name when a lesson needs them: schedules, surfaces, clipping, residual, normalization,
regularization, callbacks, layerplots, pruning, freezing, digits, rnn; experiments.<lesson> and diagrams.<lesson>.
"""

from . import data, diagnostics, gradcheck, init, layers, losses, model, optim, plots, train, widgets
from .layers import ACTIVATIONS, Dense, activation
from .losses import LOSSES, get_loss
from .model import Sequential, mlp
from .optim import SGD
from .train import History, accuracy, evaluate, fit

__all__ = [
    "data",
    "diagnostics",
    "gradcheck",
    "init",
    "layers",
    "losses",
    "model",
    "optim",
    "plots",
    "train",
    "widgets",
    "ACTIVATIONS",
    "Dense",
    "activation",
    "LOSSES",
    "get_loss",
    "Sequential",
    "mlp",
    "SGD",
    "History",
    "accuracy",
    "evaluate",
    "fit",
]
