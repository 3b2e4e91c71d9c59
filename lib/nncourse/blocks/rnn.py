"""A vanilla recurrent layer with backpropagation through time written out, a wrapper that applies an ordinary
layer at every time step and a toy sequence task. `train.fit` trains sequence models too (X (N, T, D), the
loss over the steps t >= skip).

Sequences are batch-first: x is (N, T, D), N sequences of T steps with D numbers each.
The recurrent layer (Elman 1990) carries a state h through the sequence:

    z_t = x_t Wx + h_{t-1} Wh + b,    h_t = f(z_t),    h_{-1} = 0.

Backpropagation through time (Werbos 1990) is ordinary backpropagation on the network unrolled over the T steps:
the same Wx, Wh, b are used at every step, so their gradients are sums over steps, and the gradient reaching h_t
is what the loss says about h_t directly plus what comes back from step t + 1 through Wh.
"""

import numpy as np

from nncourse.core import _validate
from nncourse.core.init import initializer
from nncourse.core.layers import Layer, get_activation

RECURRENT_ACTIVATIONS = ("tanh", "relu", "identity")
RECURRENT_INITS = ("normal", "orthogonal", "identity")


def recurrent_weights(name: str, n_hidden: int, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """The recurrent matrix Wh (H, H) with gain `scale`:
    'normal': entries N(0, scale^2 / H), so E|h Wh|^2 = scale^2 |h|^2 (its singular values spread from 0 to
    about 2 scale); 'orthogonal': scale times a random orthogonal matrix (Saxe et al. 2014), every singular
    value equal to scale; 'identity': scale times I (Le et al. 2015, the IRNN)."""
    _validate.choice("recurrent init", name, RECURRENT_INITS)
    _validate.rng(rng)
    n_hidden = _validate.positive_int("n_hidden", n_hidden)
    scale = _validate.positive("scale", scale)
    if name == "normal":
        return rng.normal(0.0, scale / np.sqrt(n_hidden), size=(n_hidden, n_hidden))
    if name == "orthogonal":
        return initializer("orthogonal", gain=scale)((n_hidden, n_hidden), rng)
    return scale * np.eye(n_hidden)


class RNN(Layer):
    """Vanilla recurrent layer: x (N, T, D) -> all hidden states h (N, T, H).

    Parameters: Wx (D, H), Wh (H, H), b (H,). After `backward`, `state_grads` (N, T, H) holds dL/dh_t, the
    whole gradient reaching each state (directly and through the later steps): the lesson plots its norm.
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        rng: np.random.Generator,
        activation: str = "tanh",
        recurrent_init: str = "orthogonal",
        scale: float = 1.0,
        input_init: str = "glorot_uniform",
    ) -> None:
        super().__init__()
        self.n_in = _validate.positive_int("n_in", n_in)
        self.n_hidden = _validate.positive_int("n_hidden", n_hidden)
        _validate.rng(rng)
        _validate.choice("recurrent activation", activation, RECURRENT_ACTIVATIONS)
        self.act = get_activation(activation)
        self.params["Wx"] = np.asarray(initializer(input_init)((n_in, n_hidden), rng), dtype=np.float64)
        self.params["Wh"] = recurrent_weights(recurrent_init, n_hidden, rng, scale)
        self.params["b"] = np.zeros(n_hidden)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.h = None

    def forward(self, x, train=True):
        """h_t = f(x_t Wx + h_{t-1} Wh + b) for t = 0 .. T-1, from h_{-1} = 0. Caches x, z and h."""
        if not isinstance(x, np.ndarray):
            x = _validate.finite_array("x", x)
        if x.ndim != 3 or x.shape[2] != self.n_in:
            raise _validate.InputError(
                f"RNN({self.n_in}, {self.n_hidden}) expects input of shape (N, T, {self.n_in}), got {x.shape}"
            )
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        n, steps, _ = x.shape
        z = np.empty((n, steps, self.n_hidden))
        h = np.empty((n, steps, self.n_hidden))
        # the input part of every step does not depend on the state: one matrix product for all steps
        xw = x @ Wx + b
        prev = np.zeros((n, self.n_hidden))
        for t in range(steps):
            z[:, t] = xw[:, t] + prev @ Wh
            prev = h[:, t] = self.act.function(z[:, t])
        self.x, self.z, self.h = x, z, h
        return h

    def backward(self, dout):
        """Backpropagation through time. dout (N, T, H) = dL/dh_t from the layers above -> dL/dx (N, T, D).

        Going backwards from t = T-1:  dh = dout_t + dh_next (the gradient reaching h_t),
        dz = dh * f'(z_t),  dWx += x_t^T dz,  dWh += h_{t-1}^T dz,  db += sum_n dz,  dx_t = dz Wx^T,
        dh_next = dz Wh^T (what h_{t-1} receives through the recurrence).
        """
        if self.h is None:
            raise _validate.InputError(
                f"{self!r}.backward needs a forward pass first: call forward(x), then backward(dout)"
            )
        if not isinstance(dout, np.ndarray) or dout.shape != self.h.shape:
            raise _validate.InputError(f"dout must have the shape of the output {self.h.shape}, got {np.shape(dout)}")
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        n, steps, _ = dout.shape
        df = self.act.derivative(self.z)  # f'(z_t) for every step at once
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(self.n_hidden)
        dx = np.empty_like(self.x)
        self.state_grads = np.empty_like(dout)
        dh_next = np.zeros((n, self.n_hidden))
        for t in range(steps - 1, -1, -1):
            dh = dout[:, t] + dh_next
            self.state_grads[:, t] = dh
            dz = dh * df[:, t]
            # the same weights act at every step: their gradients add up over the steps
            h_prev = self.h[:, t - 1] if t > 0 else np.zeros((n, self.n_hidden))
            dWx += self.x[:, t].T @ dz
            dWh += h_prev.T @ dz
            db += dz.sum(axis=0)
            dx[:, t] = dz @ Wx.T
            dh_next = dz @ Wh.T
        self.grads["Wx"], self.grads["Wh"], self.grads["b"] = dWx, dWh, db
        return dx

    def __repr__(self) -> str:
        return f"RNN({self.n_in}, {self.n_hidden}, {self.act.name})"


class TimeDistributed(Layer):
    """Applies a 2-D layer (e.g. Dense(H, 1)) at every time step: (N, T, H) -> (N, T, D_out).
    Shares the wrapped layer's params and grads dicts, so optimizers update the same arrays."""

    def __init__(self, layer: Layer) -> None:
        super().__init__()
        if not isinstance(layer, Layer):
            raise _validate.InputTypeError(f"TimeDistributed takes a Layer, got {type(layer).__name__}")
        self.layer = layer
        self.params, self.grads = layer.params, layer.grads

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            x = _validate.finite_array("x", x)
        if x.ndim != 3:
            raise _validate.InputError(f"TimeDistributed expects input of shape (N, T, D), got {x.shape}")
        n, steps, d = x.shape
        out = self.layer.forward(x.reshape(n * steps, d), train)
        return out.reshape(n, steps, -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n, steps, d = dout.shape
        dx = self.layer.backward(dout.reshape(n * steps, d))
        return dx.reshape(n, steps, -1)

    def __repr__(self) -> str:
        return f"TimeDistributed({self.layer!r})"


def make_delayed_echo(n: int, steps: int, lag: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The toy task: each input x_t is a random bit coded as -1 or +1; the target at step t is that of step
    t - lag (as 0/1). Only steps t >= lag have a target. The network must hold the last `lag` bits in its state:
    the gradient that teaches it has to travel back `lag` steps.
    Returns X (n, steps, 1), y (n, steps, 1) (y is 0 for the first `lag` steps, which carry no target)."""
    n, steps = _validate.positive_int("n", n), _validate.positive_int("steps", steps)
    lag = _validate.int_between("lag", lag, 0, steps - 1, f"an integer in [0, steps - 1] = [0, {steps - 1}]")
    _validate.rng(rng)
    bits = rng.integers(0, 2, size=(n, steps, 1)).astype(np.float64)
    y = np.zeros_like(bits)
    y[:, lag:] = bits[:, : steps - lag]
    return 2.0 * bits - 1.0, y
