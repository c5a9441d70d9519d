"""The core: declared specs, the `tf.Module` shell, the registry. Read this first.

How an optimizer is made
    One file in `coreopt/optimizers/` holds a pure update function and a class
    that declares, once, everything else::

        def lion_update(g, x, slots, t, *, learning_rate, beta_1, beta_2):
            ...                                   # tensors in, (new x, new slots) out

        @register("lion", description="Lion: sign of an interpolated momentum")
        class Lion(Optimizer):
            update_fn = staticmethod(lion_update)
            slot_names = ("m",)
            spec = Spec(numeric("learning_rate", 1e-4, "[0, inf)", schedule=True),
                        numeric("beta_1", 0.9, "[0, 1)"), numeric("beta_2", 0.99, "[0, 1)"))

    From the `spec` (`coreopt.core.spec`) come the constructor (positional in
    spec order, or by keyword; unknown keywords and out-of-range values are
    refused by name before any state exists), `get_config`/`from_config`
    (plain JSON, `coreopt.core.serialize`), `__repr__`, `coreopt list`, the
    lab's split of numeric hyperparameters (float64 tensors at trace time,
    batched per run) from static options (they change the program), and the
    bad-input tests (tests/core/test_spec.py runs over every registered class).

The state contract
    The shell (`coreopt.core.optimizer.Optimizer`) owns every variable. Per
    variable: the slots (`init_slots(x)`), created in `build(vars)`, keyed by
    the variable and saved by `tf.train.Checkpoint` under that variable's path.
    Per optimizer: its state (`init_state()`: `iterations`, plus what a
    wrapper counts). The step is one pure function,

        update(grads, params, slots, state, grad_fn=None) -> (params, slots, state)

    compiled once; eager calls, `tf.function`, XLA, the batched lab, the Keras
    adapter and `tf.distribute` all run it. `grad_fn(params) -> grads`, given by
    `minimize(loss_fn, vars)` and the lab, lets an optimizer evaluate the
    gradient again (SAM); it may carry `.loss`, f at the step's own point
    (`coreopt.core.closures.WithLoss`, for Polyak's step size); one whose
    class says `needs_closure` refuses
    `apply_gradients` and names `minimize`.

Wrappers (`coreopt.wrappers.base`, with a 30-line example of a stateful one)
    A wrapper is an optimizer around an inner one. Its slots and state nest the
    inner's under "inner"; each object of a chain owns its variables and its
    own `iterations`. A chain is named "ema:adam" or "sam(rho=0.1):momentum"
    (`coreopt.core.chains`); in flat configs a wrapper's hyperparameters read
    "ema.momentum". Nothing is registered per pair. A wrapper some of whose
    calls change only its own slots and state (gradient accumulation's held
    calls) says so with `holds_calls`, `holding(state)` and `hold`; the shell
    then runs those calls as a compiled program of their own, which touches
    nothing else.

The registry (`coreopt.core.registry`)
    Names map to classes; an entry's capabilities (`wrapper`, `needs_closure`,
    `batchable`) are read from the class by the lab, the adapters and the test
    suites. A registered name without a test row fails the suite with a message
    naming the file to add it to.
"""

from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import Entry, entry, get, names, register
from coreopt.core.serialize import from_config

__all__ = ["Entry", "Optimizer", "entry", "from_config", "get", "names", "register"]
