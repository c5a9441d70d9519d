"""coreopt.compat.from_torch against torch.optim's own trajectories (needs torch)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import tensorflow as tf

torch = pytest.importorskip("torch")

from coreopt.compat import from_torch  # noqa: E402
from tests.compat import contract, replay  # noqa: E402

TOLERANCE = {"float64": 1e-12, "float32": 1e-6}


def _from_row(dtype, row):
    """The adapter for a row of references/data/torch_<dtype>.npz, from the file's own record."""
    config = replay.config("torch", dtype, row)
    cls = getattr(torch.optim, config["optimizer"].removeprefix("torch.optim."))
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in config["kwargs"].items()}
    return from_torch(cls, **kwargs), config


@pytest.mark.parametrize("dtype, row", [
    ("float64", "sgd"),
    ("float64", "sgd_momentum"),
    ("float64", "sgd_nesterov"),
    ("float64", "adam"),
    ("float64", "rmsprop_centered"),
    ("float64", "nadam"),  # its mu_product is float64 only under a float64 default dtype
    ("float64", "sgd_momentum_lr_change"),
    ("float32", "adam"),
])
def test_replays_torch(dtype, row):
    opt, config = _from_row(dtype, row)
    change = config.get("lr_change")

    def before_step(k):
        if change and k == change["after_step"] + 1:
            for group in opt.optimizer.param_groups:
                group["lr"] = change["lr"]

    error = replay.replay(opt, "torch", dtype, row, before_step=before_step)
    assert error <= TOLERANCE[dtype], f"torch {row} ({dtype}): {error:.3g}"


def test_sgd_closed_form():
    """Plain SGD on g = x: x_k = (1 - lr)^k x_0, exactly for lr = 1/4 and dyadic x_0."""
    xs = contract.variables()
    opt = from_torch(lambda params: torch.optim.SGD(params, lr=0.25))
    for k in range(1, 6):
        opt.apply_gradients([x.read_value() for x in xs], xs)
        for x, x0 in zip(xs, contract.START):
            np.testing.assert_array_equal(x.numpy(), 0.75 ** k * x0)


@pytest.mark.parametrize("check", contract.CHECKS, ids=lambda c: c.__name__)
def test_contract(check):
    check(lambda: from_torch(torch.optim.Adam, lr=0.01))


def test_dtypes_and_default_dtype():
    xs = [tf.Variable([1.0], dtype=tf.float64), tf.Variable([1.0], dtype=tf.float32)]
    opt = from_torch(torch.optim.NAdam, lr=0.01)
    opt.apply_gradients([tf.ones([1], tf.float64), tf.ones([1])], xs)
    params = opt.optimizer.param_groups[0]["params"]
    assert [p.dtype for p in params] == [torch.float64, torch.float32]
    assert opt.optimizer.state[params[0]]["mu_product"].dtype == torch.float64
    assert torch.get_default_dtype() == torch.float32  # put back


def test_keras_variable():
    import keras

    x = keras.Variable(np.array([1.0, 2.0]), dtype="float64")
    from_torch(torch.optim.SGD, lr=0.5).apply_gradients([tf.constant([1.0, 1.0], tf.float64)],
                                                        [x])
    np.testing.assert_array_equal(np.asarray(x), [0.5, 1.5])


def test_instance_refused():
    instance = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match="not an instance"):
        from_torch(instance)
    with pytest.raises(TypeError, match="callable"):
        from_torch("Adam")


def test_factory_must_hold_the_parameters():
    other = [torch.zeros(1, requires_grad=True)]
    opt = from_torch(lambda params: torch.optim.SGD(other, lr=0.1))
    x = tf.Variable([1.0])
    with pytest.raises(ValueError, match="does not hold"):
        opt.apply_gradients([tf.ones([1])], [x])
    assert x.numpy().tolist() == [1.0]


def test_names_and_repr():
    opt = from_torch(torch.optim.Adam, lr=0.01)
    assert opt.name == "torch.optim.Adam"
    assert repr(opt) == "TorchOptimizer(torch.optim.Adam, lr=0.01)"
    partial = from_torch(functools.partial(torch.optim.SGD, momentum=0.9), lr=0.1)
    assert repr(partial) == ("TorchOptimizer(functools.partial(torch.optim.SGD, momentum=0.9), "
                             "lr=0.1)")
