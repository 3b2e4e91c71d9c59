"""The core: the from-scratch NumPy library every lesson trains with.

Layers as forward/backward pairs (layers), Sequential and mlp (model), losses, initializers (init), optimizers
(optim), learning-rate schedules, the training loop (train: fit and Training), callbacks, metrics, the gradient
checks (gradcheck) and diagnostics. It imports nothing from the layers above it (docs/architecture.md).
"""
