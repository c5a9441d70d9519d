"""The `tf.distribute.MirroredStrategy` check, on two logical CPUs of this process.

Logical devices can only be set before TensorFlow's runtime starts (the
first op or device query); `split_cpus()` does it when it still can, and
`coreopt check` calls it before it imports the user's module. Where the
process has one CPU device, the check is not applicable and says why.

Convention: each replica's gradient is its share of the batch's (here 1/4
and 3/4 of it), so the replicas' sum is the one-device gradient, as with a
loss divided by the global batch size (tf.distribute's and Keras's way).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from coreopt.testing.card import failed, not_applicable, passed
from coreopt.testing.checks_graph import TOLERANCE
from coreopt.testing.subject import (
    Field,
    describe_error,
    make_variables,
    max_difference,
    prepare,
    scale_of,
)

SHARES = (0.25, 0.75)


def split_cpus(count: int = 2) -> bool:
    """Splits the CPU into `count` logical devices if TensorFlow has not started yet.

    Returns:
        True when this process has at least `count` logical CPUs afterwards.
    """
    if count < 1:
        raise ValueError(f"`count` must be >= 1; received {count}.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
    except RuntimeError:  # the runtime has started: devices are fixed
        pass
    return len(tf.config.list_logical_devices("CPU")) >= count


def _mirrored_run(s, devices):
    """The replicas' copies of each variable after `steps` steps, [[replica 0, 1], ...]."""
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        variables = make_variables()
        opt = s.fresh()
        prepare(opt, variables)
    field = Field(variables)

    def replica_step(grads):
        opt.apply_gradients(grads, variables)

    for t in range(s.steps):
        grads = field.grads(variables, t)
        shares = strategy.experimental_distribute_values_from_function(
            lambda context, grads=grads: [g * SHARES[context.replica_id_in_sync_group]
                                          for g in grads])
        strategy.run(replica_step, args=(shares,))
    return [[np.asarray(x.numpy(), np.float64) for x in strategy.experimental_local_results(v)]
            for v in variables]


def mirrored(s):
    """Under MirroredStrategy the replicas stay equal and match one device."""
    if s.needs_closure:
        return not_applicable("it takes the loss (`minimize(loss_fn, vars)`); this check "
                              "gives each replica its gradients.")
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) < 2:
        return not_applicable(
            f"it needs two logical CPUs, and TensorFlow started in this process with "
            f"{len(cpus)}: they must be set before it starts (call "
            "coreopt.testing.split_cpus() first; `coreopt check` does).", logical_cpus=len(cpus))
    try:
        copies = _mirrored_run(s, [c.name for c in cpus[:2]])
    except Exception as error:
        return not_applicable(f"it does not run under MirroredStrategy: {describe_error(error)}.",
                              error=describe_error(error))
    one = s.reference()
    tol = TOLERANCE * scale_of(one)
    drift = max(max_difference([c[0]], [c[1]]) for c in copies)
    primary = [c[0] for c in copies]
    summed = max_difference(primary, one)
    evidence = {"replica_drift": drift, "difference_to_one_device": summed, "tolerance": tol,
                "replica_shares": list(SHARES), "steps": s.steps}
    if drift > tol:
        return failed(f"the two replicas' copies drift {drift:.3g} apart in {s.steps} steps "
                      "(replica gradients 1/4 and 3/4 of the batch's): each replica applies "
                      "its own update.", **evidence)
    if summed <= tol:
        return passed("under MirroredStrategy on two CPUs the replicas stay equal and match one "
                      f"device (max difference {summed:.3g}; replica gradients summed).",
                      **evidence)
    evidence["difference_to_averaged"] = averaged = max_difference(primary, s.run(scale=0.5))
    if averaged <= tol:
        return passed("under MirroredStrategy the replicas stay equal, and average their "
                      "gradients instead of summing them: with each replica's loss divided by "
                      "the global batch size (tf.distribute's convention) its step is that of "
                      "half the gradient.", **evidence)
    return failed(f"under MirroredStrategy the replicas stay equal but end {summed:.3g} away "
                  "from one device (summed gradients) and "
                  f"{averaged:.3g} from averaged ones.", **evidence)
