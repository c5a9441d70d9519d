"""Training telemetry: per-layer gradient norm, update/weight ratio, effective learning rate.

For each trainable variable ("layer", named by `layer_names`) and each step,
with g the gradient of the batch loss at the weights theta before the step
(unscaled when the optimizer scales the loss) and
Delta = theta_after - theta_before whatever changed the variables (the whole
chain's step: SAM's, an EMA's, Lookahead's, ... as it really happened):

    grad_norm     = ||g||                       (Euclidean norm over the variable)
    update_ratio  = ||Delta|| / ||theta_before||
    effective_lr  = ||Delta|| / ||g||

`update_ratio` is the relative size of a step: Karpathy's CS231n notes
("Neural Networks Part 3", babysitting the learning process) give ~1e-3 as the
healthy scale of update norm over weight norm; LARS (You, Gitman & Ginsburg
2017, "Large Batch Training of Convolutional Networks", arXiv:1708.03888)
uses the same per-layer ratio of norms (its trust ratio ||w|| / ||g||) to set
each layer's rate. `effective_lr` is the rate the optimizer applied along the
gradient's scale: for plain SGD, Delta = -lr g, so it is lr exactly; for Adam
it is lr ||m_hat / (sqrt(v_hat) + eps)|| / ||g||, at the first step
(m_hat = g, v_hat = g^2) lr ||g / (|g| + eps)|| / ||g|| ~ lr sqrt(size) / ||g||.

Zero denominators: a ratio a / b with b = 0 is 0 when a = 0 too (nothing
moved: a zero weight or zero gradient with no update) and undefined when a > 0
(e.g. the first step of a bias initialized to zero). An undefined or non-finite
value (a loss-scaling step skipped for an overflow) is left out of the average.

Per epoch: each measure is the mean over the epoch's steps where it is defined
(None where it is defined at no step). The step computes norms only, inside
the compiled train step: theta_before is read once and dropped after the
step; the epoch keeps two [layers, 3] float64 accumulators. Under a
`tf.distribute` strategy each replica holds a share of the gradient, so the
gradients are all-reduced once more (summed) for the norms. The accumulators
are not checkpointed: after a mid-epoch resume that epoch's averages cover the
steps run since.

Example:
    >>> import tensorflow as tf
    >>> theta = [tf.constant([3.0, 4.0])]
    >>> g = [tf.constant([1.0, 0.0])]
    >>> after = [theta[0] - 0.1 * g[0]]                   # one SGD step, lr 0.1
    >>> m = step_measures(g, theta, after).numpy()[0]     # [||g||, ratio, effective lr]
    >>> [round(float(v), 6) for v in m]
    [1.0, 0.02, 0.1]

References:
    A. Karpathy, CS231n "Neural Networks Part 3: Learning and Evaluation"
    (ratio of weights:updates). Y. You, I. Gitman, B. Ginsburg, "Large Batch
    Training of Convolutional Networks" (LARS), 2017.
"""

from __future__ import annotations

import math

import tensorflow as tf

MEASURES = ("grad_norm", "update_ratio", "effective_lr")


def _norm(t) -> tf.Tensor:
    """||t|| as a float64 scalar (summed in float32, or float64 for float64 tensors)."""
    if isinstance(t, tf.IndexedSlices):
        t = tf.convert_to_tensor(t)  # duplicate indices sum, as in the dense gradient
    wide = tf.float64 if t.dtype == tf.float64 else tf.float32
    return tf.cast(tf.sqrt(tf.reduce_sum(tf.square(tf.cast(t, wide)))), tf.float64)


def ratio(a, b) -> tf.Tensor:
    """a / b for b > 0; 0 for a = b = 0; NaN (undefined) for a > 0 = b.

    Example:
        >>> [float(ratio(a, b)) for a, b in [(1.0, 4.0), (0.0, 0.0)]]
        [0.25, 0.0]
        >>> math.isnan(float(ratio(1.0, 0.0)))
        True
    """
    a, b = tf.cast(a, tf.float64), tf.cast(b, tf.float64)
    safe = tf.where(b > 0, b, tf.ones_like(b))
    undefined = tf.where(a > 0, tf.constant(math.nan, tf.float64), tf.zeros_like(a))
    return tf.where(b > 0, a / safe, undefined)


def step_measures(grads, before, after, scale=1.0) -> tf.Tensor:
    """[layers, 3] float64: grad_norm, update_ratio, effective_lr of one step per variable.

    Args:
        grads: the gradients (None: zero); divided by `scale` (a loss scale).
        before, after: each variable's value before and after the step.
        scale: the loss scale the gradients carry, 1 for none.
    """
    scale = tf.cast(scale, tf.float64)
    rows = []
    for g, old, new in zip(grads, before, after, strict=True):
        g_norm = tf.zeros([], tf.float64) if g is None else _norm(g) / scale
        delta = _norm(tf.convert_to_tensor(new) - tf.convert_to_tensor(old))
        rows.append(tf.stack([g_norm, ratio(delta, _norm(old)), ratio(delta, g_norm)]))
    return tf.stack(rows)


def loss_scale(optimizer) -> tf.Tensor:
    """The factor `optimizer.scale_loss` multiplies a loss by now (1 without one)."""
    scale = getattr(optimizer, "scale_loss", None)
    return tf.constant(1.0, tf.float64) if scale is None else tf.cast(
        scale(tf.constant(1.0, tf.float32)), tf.float64)


def layer_names(variables, module=None) -> list[str]:
    """A distinct name per variable: Keras's `path`, else its name without ":0",
    prefixed by the innermost submodule of `module` that holds it ("dense_0/w");
    a name still repeated gets "_1", "_2", ...

    Example:
        >>> import tensorflow as tf
        >>> layer_names([tf.Variable(1.0, name="w"), tf.Variable(2.0, name="w")])
        ['w', 'w_1']
    """
    owners = {}
    if module is not None:  # the deepest submodule wins: fewest variables
        for sub in sorted(module.submodules, key=lambda m: -len(m.trainable_variables)):
            for v in sub.trainable_variables:
                owners[v.ref()] = sub.name
    names, seen = [], {}
    for v in variables:
        name = getattr(v, "path", None) or v.name.split(":")[0]
        if v.ref() in owners and not name.startswith(owners[v.ref()] + "/"):
            name = f"{owners[v.ref()]}/{name}"
        count = seen.get(name, 0)
        seen[name] = count + 1
        names.append(name if count == 0 else f"{name}_{count}")
    return names


class Telemetry:
    """The per-epoch averages of `step_measures` for `variables`, one row per layer.

    Args:
        variables: the trainable variables, in the order of the gradients.
        module: the model, to name the layers (`layer_names`), or None.
    """

    def __init__(self, variables, module=None):
        self.variables = list(variables)
        if not self.variables:
            raise ValueError("telemetry needs at least one trainable variable; received none.")
        self.names = layer_names(self.variables, module)
        shape = [len(self.variables), len(MEASURES)]
        self.sums = tf.Variable(tf.zeros(shape, tf.float64), trainable=False,
                                name="telemetry_sums")
        self.counts = tf.Variable(tf.zeros(shape, tf.float64), trainable=False,
                                  name="telemetry_counts")

    def __repr__(self):
        return f"Telemetry(layers={self.names!r}, measures={list(MEASURES)!r})"

    def step(self, optimizer, loss_and_grads, loss_fn=None):
        """One optimizer step with its measures (in the compiled train step).

        Args:
            optimizer: steps `self.variables`.
            loss_and_grads: () -> (loss, hits, gradients of the scaled loss) at theta.
            loss_fn: for a closure optimizer (SAM): stepped by `minimize(loss_fn, vars)`.

        Returns:
            (loss, hits, [layers, 3] measures). Inside `strategy.run` the
            gradients are summed over the replicas for the norms.
        """
        before = [tf.identity(v) for v in self.variables]  # theta, for this step only
        scale = loss_scale(optimizer)  # read before the step (a dynamic scale changes)
        loss, hits, grads = loss_and_grads()
        if loss_fn is not None:
            loss = optimizer.minimize(loss_fn, self.variables)
        else:
            optimizer.apply_gradients(list(zip(grads, self.variables)))
        grads = _summed_over_replicas(grads, self.variables)
        return loss, hits, step_measures(grads, before, self.variables, scale)

    def add(self, measures) -> None:
        """Adds one step's measures to the epoch's sums (defined, finite values only)."""
        measures = tf.cast(measures, tf.float64)
        finite = tf.math.is_finite(measures)
        self.sums.assign_add(tf.where(finite, measures, tf.zeros_like(measures)))
        self.counts.assign_add(tf.cast(finite, tf.float64))

    def reset(self) -> None:
        """Starts a new epoch's averages."""
        self.sums.assign(tf.zeros_like(self.sums))
        self.counts.assign(tf.zeros_like(self.counts))

    def result(self) -> dict:
        """{layer: {measure: mean over the epoch's defined steps, or None}}."""
        sums, counts = self.sums.numpy(), self.counts.numpy()
        return {name: {m: (float(sums[i, j] / counts[i, j]) if counts[i, j] else None)
                       for j, m in enumerate(MEASURES)}
                for i, name in enumerate(self.names)}


def _summed_over_replicas(grads, variables):
    """The gradients summed over the replicas inside `strategy.run`, else as they are."""
    from coreopt.core import distributed

    if not distributed.in_replica_context():
        return list(grads)
    dense = [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
             for g, v in zip(grads, variables, strict=True)]
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, dense)


def write_scalars(telemetry: dict, epoch: int, scalar) -> None:
    """`scalar(f"telemetry/{layer}/{measure}", value, epoch)` for each defined value."""
    for layer, values in telemetry.items():
        for measure, value in values.items():
            if value is not None:
                scalar(f"telemetry/{layer}/{measure}", value, epoch)
