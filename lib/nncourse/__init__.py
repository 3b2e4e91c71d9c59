"""How neural networks are trained: the course library, in layers that import only downward.

    nncourse.core       the from-scratch library: layers, model, losses, init, optim, schedules, train,
                        callbacks, metrics, gradcheck, diagnostics
    nncourse.blocks     what individual lessons add: normalization, residual, rnn, regularization, clipping,
                        pruning, freezing, surfaces
    nncourse.datasets   generated data sets (synthetic) and scikit-learn's bundled digits (digits)
    nncourse.plotting   plotting helpers and the course's figure style (plt.style.use("nncourse.plotting.course"))
    nncourse.panels     slider panels: an experiment and a plot turned into controls and a live figure
    nncourse.lessons    one module per lesson, named for it; nncourse.exercises, nncourse.diagrams and
                        nncourse.notebook (show, record) beside it

`import nncourse` loads the core only (no plotting, no widgets) and names its most used parts here.
docs/architecture.md describes the layers; `make lint` checks the import contract (import-linter).
"""

from nncourse.core.layers import ACTIVATIONS, Dense, get_activation
from nncourse.core.losses import LOSSES, get_loss
from nncourse.core.metrics import accuracy
from nncourse.core.model import Sequential, mlp
from nncourse.core.optim import SGD
from nncourse.core.train import History, evaluate, fit

__all__ = [
    "ACTIVATIONS",
    "Dense",
    "get_activation",
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
