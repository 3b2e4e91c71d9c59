"""A stand-in, on one machine, for the differences between machines.

Different CPUs and BLAS kernels sum a matrix product in different orders, so two machines' training runs differ
in the last bits (a relative 1e-16) from the first step on. A run that is stable damps such differences; a
chaotic one (a learning rate at the edge of stability, a long recurrent run) amplifies them into a different
result. `install(eps)` makes every optimizer step scale the change it makes to each parameter by 1 + eps * c_t,
with c_t in [-1, 1] changing from step to step: with eps = 1e-12, ten thousand times a last-bit difference in
the gradient. A number that survives it is one a learner on another machine sees too.

Scaling the change, by one factor per step, keeps what real rounding keeps: a parameter whose gradient is
exactly 0 (a dead unit, a pruned or frozen weight) does not move, and identical units stay identical.
"""

EPS = 1e-12


def install(eps=EPS):
    """Patch nncourse.core.optim.Optimizer.step in this process (a kernel, a test). Returns the original."""
    from nncourse.core import optim

    original = optim.Optimizer.step
    if getattr(original, "_perturbed", False):
        return original

    def step(self, model):
        before = [(layer.params[name], layer.params[name].copy()) for layer, name in model.parameters()]
        original(self, model)
        # the optimizer's own step count: the same run twice is perturbed the same way (bit-identical reruns stay so)
        factor = 1.0 + eps * (2.0 * ((self.t * 0.6180339887498949) % 1.0) - 1.0)
        for param, old in before:
            param[...] = old + (param - old) * factor

    step._perturbed = True
    optim.Optimizer.step = step
    return original


def cell_source(tests_dir, eps=EPS):
    """A notebook cell that installs the perturbation in the kernel before the lesson's first cell."""
    return f"import sys\nsys.path.insert(0, {str(tests_dir)!r})\nimport perturb\nperturb.install({eps!r})"
