"""coreopt optimizers inside `strategy.run`: one all-reduce, then the pure update.

`Optimizer.apply_gradients` comes here when it is called in a replica context
of a `tf.distribute` strategy (inside `strategy.run`). The replicas' gradients
are summed with one batched all-reduce; then, in cross-replica context, the
optimizer's pure list-level `update` runs once per local replica on that
replica's copies of the variables and slots, and the step counter advances
once. Every replica applies the same summed gradient to the same values, so
the copies stay identical; the math is the optimizer's own.

Math (R replicas, global batch B, replica r holding the examples S_r):
    loss_r = sum_{i in S_r} l_i / B,   g = sum_r grad(loss_r) = grad(mean_i l_i).

Build the optimizer (`optimizer.build(variables)`) under `strategy.scope()`
before the first step, so that its slots are mirrored like the variables.
"""

from __future__ import annotations

import tensorflow as tf


def in_replica_context() -> bool:
    """True inside `strategy.run` of a real (not the default) strategy."""
    return tf.distribute.has_strategy() and tf.distribute.in_cross_replica_context() is False \
        and tf.distribute.get_replica_context() is not None


def apply_in_replica(optimizer, grads, variables) -> None:
    """One distributed step: all-reduce the gradients, update every local copy.

    Raises:
        ValueError: the optimizer was not built for `variables` first.
    """
    _check_built(optimizer, variables)
    context = tf.distribute.get_replica_context()
    summed = context.all_reduce(tf.distribute.ReduceOp.SUM, list(grads))
    context.merge_call(_update_each_replica, args=(optimizer, summed, list(variables)))


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
    step = getattr(optimizer, "_replica_step", None)
    if step is None:  # one compiled step per optimizer, traced once
        step = optimizer._replica_step = assigning(optimizer.update, jit_compile=False)
    update_local_copies(strategy, step, grads, variables, slots, t,
                        optimizer.current_learning_rate())
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
