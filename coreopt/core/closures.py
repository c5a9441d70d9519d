"""The gradients of a loss closure, at the variables' values or at other parameter values.

`minimize(loss_fn, vars)` and the loss-closure protocol (`grad_fn(params) ->
grads`, for optimizers that evaluate the gradient more than once, such as SAM)
take their gradients here. A `None` gradient (a variable the loss does not
read) is a zero.

Example:
    >>> import tensorflow as tf
    >>> x = tf.Variable(3.0)
    >>> loss, grads = closure_gradients(lambda: x * x, [x])
    >>> float(loss), float(grads[0])
    (9.0, 6.0)
    >>> float(closure_grad_fn(lambda: x * x, [x])([tf.constant(1.0)])[0]), float(x.numpy())
    (2.0, 3.0)
"""

from __future__ import annotations

import inspect

import tensorflow as tf

__all__ = ["WithLoss", "carried", "closure_grad_fn", "closure_gradients", "loss_at_step",
           "same_closure"]


class WithLoss:
    """A `grad_fn(params) -> grads` that also carries `.loss`, the loss at the step's point.

    Entry points that know f(x) (`minimize`, the lab, training) hand the step one
    of these; an optimizer whose step size reads f(x) (Polyak's) takes it with
    `loss_at_step(grad_fn)`.

    Example:
        >>> import tensorflow as tf
        >>> fn = WithLoss(lambda params: [2.0 * p for p in params], tf.constant(4.0))
        >>> float(loss_at_step(fn)), float(fn([tf.constant(1.5)])[0])
        (4.0, 3.0)
    """

    def __init__(self, grad_fn, loss):
        self.grad_fn, self.loss = grad_fn, loss

    def __call__(self, params):
        return self.grad_fn(params)


def carried(new_fn, grad_fn, extra=None):
    """`new_fn`, a grad_fn replacing `grad_fn`, carrying `grad_fn`'s loss (plus
    `extra(loss)` when given: a wrapper that changes the loss) when it has one."""
    loss = getattr(grad_fn, "loss", None)
    if loss is None:
        return new_fn
    return WithLoss(new_fn, loss if extra is None else extra(loss))


def loss_at_step(grad_fn, who: str = "this optimizer"):
    """The loss at the step's own point carried by `grad_fn`; a TypeError when absent."""
    loss = getattr(grad_fn, "loss", None)
    if loss is None:
        raise TypeError(
            f"{who} reads the loss value f(x) at each step, which only a loss closure gives: "
            "call `opt.minimize(loss_fn, vars)` (or pass `update` a `WithLoss` grad_fn).")
    return loss


def same_closure(kept, loss_fn):
    """`kept` when `loss_fn` is the same bound method (same object, same function), else
    `loss_fn`.

    `model.loss` makes a new method object at each access, and `tf.function` keys a
    Python argument by its object, so passing `model.loss` at every eager step would
    trace and compile the step anew each time; the first one kept stands for them all.

    Example:
        >>> class Model:
        ...     def loss(self):
        ...         return 0.0
        >>> model = Model()
        >>> kept = model.loss
        >>> same_closure(kept, model.loss) is kept, same_closure(kept, Model().loss) is kept
        (True, False)
    """
    if inspect.ismethod(loss_fn) and inspect.ismethod(kept) and kept == loss_fn:
        return kept
    return loss_fn


def closure_gradients(loss_fn, variables, scale=lambda loss: loss):
    """(loss, gradients of `scale(loss)`) of the closure at the variables' values."""
    with tf.GradientTape() as tape:
        loss = loss_fn()
        scaled = scale(loss)
    grads = tape.gradient(scaled, variables)
    return loss, [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                  for g, v in zip(grads, variables)]


def closure_grad_fn(loss_fn, variables, scale=lambda loss: loss):
    """`grad_fn(params) -> grads` of the closure at other parameter values.

    The variables hold `params` while the gradient is taken, then their own
    values again.
    """

    def grad_fn(params):
        saved = [tf.identity(v) for v in variables]
        for var, value in zip(variables, params):
            var.assign(tf.cast(value, var.dtype))  # a half variable's params come as float32
        with tf.control_dependencies(params):
            _, grads = closure_gradients(loss_fn, variables, scale)
        with tf.control_dependencies(grads):
            for var, value in zip(variables, saved):
                var.assign(value)
        return [tf.identity(g) for g in grads]

    return grad_fn
