"""Strategies for training: making them, sharding batches, who writes.

A coreopt optimizer works inside `strategy.run` as it is: call
`optimizer.apply_gradients(grads, variables)` there (see
`coreopt.core.distributed`: one all-reduce, then the optimizer's pure update on
every local copy). Build it under `strategy.scope()` first, so that its slots
are mirrored like the variables.

Example:
    >>> import tensorflow as tf, coreopt
    >>> strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    >>> with strategy.scope():
    ...     x = tf.Variable([1.0, 2.0])
    ...     opt = coreopt.GradientDescent(learning_rate=0.5)
    ...     opt.build([x])
    >>> @tf.function
    ... def step():
    ...     strategy.run(lambda: opt.apply_gradients([tf.ones([2])], [x]))
    >>> step()
    >>> x.numpy().tolist()
    [0.5, 1.5]

Notes:
    `MultiWorkerMirroredStrategy` workers are made with a collective timeout
    (`make_strategy`), so a worker whose peer never comes stops with a message
    instead of waiting forever.
"""

from __future__ import annotations

import faulthandler
import os
import sys

import tensorflow as tf

STRATEGIES = ("none", "mirrored", "multiworker")


def make_strategy(name: str = "none", *, timeout_s: float = 60.0):
    """The `tf.distribute` strategy `name`, or None for "none".

    Args:
        name: "none", "mirrored" (every local device) or "multiworker"
            (`MultiWorkerMirroredStrategy`, cluster from `TF_CONFIG`).
        timeout_s: collective timeout for "multiworker", > 0.

    Raises:
        ValueError: for another name or a timeout <= 0.
    """
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}.")
    if not timeout_s > 0:
        raise ValueError(f"`timeout_s` must be > 0; received {timeout_s}.")
    if name == "none":
        return None
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return _multiworker(timeout_s)


def _multiworker(timeout_s: float):
    """`MultiWorkerMirroredStrategy` whose start-up and collectives time out.

    TensorFlow waits without limit, inside the strategy's constructor and
    holding the interpreter, for every worker of `TF_CONFIG` to join (and it
    ignores SIGTERM meanwhile). `faulthandler`'s C-level timer therefore ends
    the process (exit status 1, "Timeout" and the stack on stderr, after the
    line announcing the wait) if the cluster has not formed within `timeout_s`.
    """
    sys.stderr.write(
        f"coreopt: joining the cluster of TF_CONFIG={os.environ.get('TF_CONFIG', '')}; "
        f"this worker stops if its peers do not answer within {timeout_s:g} s.\n"
    )
    sys.stderr.flush()
    faulthandler.dump_traceback_later(timeout_s, exit=True)
    try:
        options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=timeout_s)
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    finally:
        faulthandler.cancel_dump_traceback_later()


def split_logical_cpus(count: int) -> None:
    """Splits the CPU into `count` logical devices (before TensorFlow starts its runtime).

    Raises:
        ValueError: for count < 1.
        RuntimeError: when TensorFlow's devices are already initialized.
    """
    if count < 1:
        raise ValueError(f"`count` must be >= 1; received {count}.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    )


def shard(strategy, x, y):
    """Per-replica slices of the global batch (x, y): replica r of R gets rows [nr/R, n(r+1)/R)."""
    n = tf.shape(x)[0]

    def piece(context):
        r, replicas = context.replica_id_in_sync_group, context.num_replicas_in_sync
        start, end = n * r // replicas, n * (r + 1) // replicas
        return x[start:end], y[start:end]

    return strategy.experimental_distribute_values_from_function(piece)


def is_chief(strategy) -> bool:
    """True unless `strategy` is a multi-worker strategy and this is not worker 0 / chief."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict()
    )
