"""coreopt optimizers under `tf.distribute`: one all-reduce, then the pure update.

Inside `strategy.run`, call `apply_gradients(optimizer, grads, variables)`
instead of `optimizer.apply_gradients(grads, variables)`. It sums the
replicas' gradients with one batched all-reduce, then, in cross-replica
context, runs the optimizer's pure list-level `update` once per local
replica on that replica's copies of the variables and slots, and advances the
step counter once. Every replica applies the same summed gradient to the same
values, so the copies stay identical; the math is the optimizer's own.

Math (R replicas, global batch B, replica r holding the examples S_r):
    loss_r = sum_{i in S_r} l_i / B,   g = sum_r grad(loss_r) = grad(mean_i l_i).

Example:
    >>> import tensorflow as tf, coreopt
    >>> from coreopt.train import distribute
    >>> strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    >>> with strategy.scope():
    ...     x = tf.Variable([1.0, 2.0])
    ...     opt = coreopt.GradientDescent(learning_rate=0.5)
    ...     opt.build([x])
    >>> @tf.function
    ... def step():
    ...     strategy.run(lambda: distribute.apply_gradients(opt, [tf.ones([2])], [x]))
    >>> step()
    >>> x.numpy().tolist()
    [0.5, 1.5]

Notes:
    Build the optimizer (`optimizer.build(variables)`) under
    `strategy.scope()` before the first step, so that its slots are mirrored
    like the variables. `MultiWorkerMirroredStrategy` workers are made with a
    collective timeout (`make_strategy`), so a worker whose peer never comes
    fails with `tf.errors.DeadlineExceededError` instead of waiting forever.
"""

from __future__ import annotations

import faulthandler
import os
import sys

import tensorflow as tf

STRATEGIES = ("none", "mirrored", "multiworker")


def apply_gradients(optimizer, grads, variables) -> None:
    """One distributed step of a coreopt `optimizer`; call it inside `strategy.run`.

    Args:
        optimizer: a built coreopt optimizer (slots created under the strategy's scope).
        grads: this replica's gradients, one per variable (no `None`).
        variables: the (mirrored) variables.

    Raises:
        ValueError: for a `None` gradient, mismatched lengths, or an optimizer
            that was not built for `variables` first.
    """
    grads, variables = list(grads), list(variables)
    if len(grads) != len(variables) or any(g is None for g in grads):
        raise ValueError(
            f"`grads` must hold one gradient per variable and no None; received "
            f"{len(grads)} gradients for {len(variables)} variables."
        )
    context = tf.distribute.get_replica_context()
    if context is None or not tf.distribute.has_strategy():
        optimizer.apply_gradients(grads, variables)
        return
    _check_built(optimizer, variables)
    grads = [tf.convert_to_tensor(g) for g in grads]
    summed = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
    context.merge_call(_update_each_replica, args=(optimizer, summed, variables))


def _check_built(optimizer, variables):
    for var in variables:
        try:
            optimizer._slots_for(var)
        except KeyError:
            raise ValueError(
                f"the optimizer has no slots for {var.name}; call optimizer.build(variables) "
                "under strategy.scope() before the first distributed step."
            ) from None


def _update_each_replica(strategy, optimizer, grads, variables):
    """Cross-replica context: the pure update on every local copy, then step + 1."""
    slots = [optimizer._slots_for(v) for v in variables]
    t = tf.cast(optimizer.iterations + 1, tf.float64)
    update_local_copies(strategy, assigning(optimizer.update, jit_compile=False), grads,
                        variables, slots, t, optimizer.current_learning_rate())
    optimizer.iterations.assign_add(1)


def update_local_copies(strategy, step, grads, variables, slots, t, learning_rate) -> None:
    """Runs `step` on each local replica's copies of the variables and slots.

    Called in cross-replica context (or with the default strategy), with
    gradients already summed over replicas.

    Args:
        strategy: the current strategy (the default one for no distribution).
        step: `step(grads, variables, slots, t, learning_rate)` that updates
            one replica's variables and slots in place (see `assigning`).
        grads: one (per-replica or plain) gradient per variable.
        variables: the (mirrored or plain) variables.
        slots: per variable, a dict of slot name -> (mirrored or plain) variable.
        t: the 1-based step, float64; learning_rate: float64 scalar.
    """
    local = strategy.experimental_local_results
    for i in range(len(local(variables[0]))):
        params = [local(v)[i] for v in variables]
        copies = [{k: local(s)[i] for k, s in d.items()} for d in slots]
        with tf.device(params[0].device):
            step([tf.convert_to_tensor(local(g)[i]) for g in grads], params, copies, t,
                 learning_rate)


def assigning(update, jit_compile: bool = True):
    """A compiled step that assigns what the pure list-level `update` returns.

    Args:
        update: `update(grads, params, slots, t, learning_rate) -> (params, slots)`,
            an optimizer's pure step on tensors.
        jit_compile: compile with XLA, as the optimizer shell does.

    Returns:
        `step(grads, variables, slot_variables, t, learning_rate)`, a `tf.function`.
    """

    def step(grads, variables, slots, t, learning_rate):
        new_params, new_slots = update(
            [tf.cast(g, v.dtype) for g, v in zip(grads, variables)],
            [tf.convert_to_tensor(v) for v in variables],
            [{k: tf.convert_to_tensor(s) for k, s in d.items()} for d in slots],
            t, learning_rate,
        )
        for var, value in zip(variables, new_params):
            var.assign(value)
        for slot_vars, values in zip(slots, new_slots):
            for key, var in slot_vars.items():
                var.assign(values[key])

    return tf.function(step, jit_compile=jit_compile, autograph=False)


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
