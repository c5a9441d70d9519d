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

`Optimizer.minimize(loss_fn, vars)` comes to `minimize_in_replica` there:
the closure's gradient is all-reduced the same way, and the pure update runs
in each replica (in parallel) on its own copies, with a `grad_fn` that sums
every later gradient (SAM's second one) over the replicas too. So a SAM step
perturbs with the global batch's gradient, as on one device.

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


def minimize_in_replica(optimizer, loss_fn, variables):
    """One distributed closure step inside `strategy.run`; returns this replica's loss.

    Math (R replicas, loss_r this replica's share of the global-batch loss):
        g = sum_r grad loss_r(x);  grad_fn(p) = sum_r grad loss_r(p);
        then the optimizer's pure `update(g, x, slots, state, grad_fn)`.
    Each replica runs the update on its own copies; all copies see the same
    sums, so they stay equal. `grad_fn` moves this replica's copies of the
    variables to `p`, differentiates, all-reduces, and moves them back.

    Raises:
        ValueError: the optimizer was not built for `variables` first.
    """
    from coreopt.core.closures import WithLoss, closure_gradients
    from coreopt.core.variables import read

    _check_built(optimizer, variables)
    context = tf.distribute.get_replica_context()
    scale = optimizer.scale_loss
    loss, grads = closure_gradients(loss_fn, variables, scale)
    grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)

    def grad_fn(params):
        saved = [tf.identity(v) for v in variables]
        _assign_in_replica(context, variables, params)
        _, moved = closure_gradients(loss_fn, variables, scale)
        moved = context.all_reduce(tf.distribute.ReduceOp.SUM, moved)
        with tf.control_dependencies(moved):
            _assign_in_replica(context, variables, saved)
        return [tf.identity(g) for g in moved]

    # f(x) reduced as the gradients are: the sum over replicas
    grad_fn = WithLoss(grad_fn, context.all_reduce(tf.distribute.ReduceOp.SUM, loss))
    slots = [optimizer.slot_variables(v) for v in variables]
    state = optimizer.state_variables()
    grads, params = optimizer.step_inputs(grads, variables)
    new_params, new_slots, new_state = optimizer.update(grads, params, read(slots),
                                                        read(state), grad_fn)
    leaves = tf.nest.flatten([variables, slots, state])
    _assign_in_replica(context, leaves, tf.nest.flatten([new_params, new_slots, new_state]))
    return loss


def _assign_in_replica(context, variables, values):
    """From replica context: every replica's copy of each variable gets its own value.

    A variable with one copy only (state made outside `strategy.scope()`)
    gets the first replica's value (every replica computes the same).
    """
    context.merge_call(_assign_each, args=(list(variables), list(values)))


def _assign_each(strategy, variables, values):
    local = strategy.experimental_local_results
    for var, value in zip(variables, values):
        if len(local(var)) > 1:
            strategy.extended.update(var, _assign, args=(value,), group=False)
        else:
            _assign(var, local(value)[0])


def _assign(var, value):
    return var.assign(tf.cast(value, var.dtype))


def _write(variables, values):
    """Assigns a nested structure of values, each rounded to its variable's dtype."""
    tf.nest.map_structure(_assign, variables, values)


def _check_built(optimizer, variables):
    for var in variables:
        try:
            optimizer.slot_variables(var)
        except KeyError:
            raise ValueError(
                f"the optimizer has no slots for {var.name}; call optimizer.build(variables) "
                "under strategy.scope() before the first distributed step."
            ) from None


def _update_each_replica(strategy, optimizer, grads, variables):
    """Cross-replica context: the pure update on every local copy of the variables."""
    slots = [optimizer.slot_variables(v) for v in variables]
    step = getattr(optimizer, "_replica_step", None)
    if step is None:  # one compiled step per optimizer, traced once
        step = optimizer._replica_step = assigning(optimizer.update, jit_compile=False)
    update_local_copies(strategy, step, grads, variables, slots, optimizer.state_variables())


def update_local_copies(strategy, step, grads, variables, slots, state, hyper=None) -> None:
    """Runs `step` on each local replica's copies of the variables and slots.

    Called in cross-replica context (or with the default strategy), with
    gradients already summed over replicas.

    Args:
        strategy: the current strategy (the default one for no distribution).
        step: `step(grads, variables, slots, state, hyper)` that updates one
            replica's variables, slots and state in place (see `assigning`).
        grads: one (per-replica or plain) gradient per variable.
        variables: the (mirrored or plain) variables.
        slots: per variable, the nested slot variables (mirrored or plain).
        state: the nested state variables; one that is not mirrored is
            updated by the first replica only (every replica computes the same).
        hyper: hyperparameter values to read during the step (the Keras
            adapter's learning rate), or None.
    """
    local = strategy.experimental_local_results
    replicas = len(local(variables[0]))
    leaves = tf.nest.flatten(state)
    mirrored = all(len(local(s)) == replicas for s in leaves)
    values = None if mirrored else tf.nest.map_structure(tf.convert_to_tensor, state)
    for i in range(replicas):
        params = [local(v)[i] for v in variables]
        copies = tf.nest.map_structure(lambda s, i=i: local(s)[i], slots)
        own = tf.nest.map_structure(lambda s, i=i: local(s)[i if mirrored else 0], state)
        with tf.device(params[0].device):
            step([tf.convert_to_tensor(local(g)[i]) for g in grads], params, copies, own,
                 hyper or {}, values, mirrored or i == 0)


def assigning(update, jit_compile: bool = True):
    """A compiled step that assigns what the pure list-level `update` returns.

    Args:
        update: an optimizer's bound `update` (its pure step on tensors);
            `update.__self__` gives `with_hyperparameters`.
        jit_compile: compile with XLA, as the optimizer shell does.

    Returns:
        `step(grads, variables, slot_variables, state_variables, hyper,
        state_values=None, write_state=True)`, a `tf.function`; `hyper` holds
        values read during the step, `state_values` the state to start from
        (else the state variables' values).
    """
    optimizer = update.__self__

    def step(grads, variables, slots, state, hyper, state_values=None, write_state=True):
        values = (tf.nest.map_structure(tf.convert_to_tensor, state) if state_values is None
                  else state_values)
        with optimizer.with_hyperparameters(hyper):
            new_params, new_slots, new_state = update(
                *optimizer.step_inputs(grads, variables),
                tf.nest.map_structure(tf.convert_to_tensor, slots), values)
        _write(variables, new_params)
        _write(slots, new_slots)
        if write_state:
            _write(state, new_state)

    return tf.function(step, jit_compile=jit_compile, autograph=False)
