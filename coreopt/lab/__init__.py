"""The convergence lab: the guide's convergence test, for any function, thousands at a time.

    convergence_test   one run, any optimizer with `apply_gradients(grads, vars)`
    sweep, sweep_runs  optimizers x grids x functions x starts x seeds, batched
    max_stable_lr      the largest learning rate that does not diverge
    StoppingRule       when a run has converged or diverged
    Run, to_frame      the records, and a DataFrame of them
    surface            a 1-D or 2-D function's values on a grid, for plots
    fair.tune          every optimizer's learning rate by one stated rule, batched

Every entry point takes the optimizer one way (a registered or chain name, a
class, or a configured instance: `coreopt.lab.inputs`) and the start one way
(`init=`). Inside: `inputs` reads the arguments, `grid` plans the runs,
`execute` runs them (`batched` compiles a chunk, `single` runs one), `sweeps`
returns the results and `store` keeps them on disk.
"""

from coreopt.lab import fair
from coreopt.lab.records import Run, to_frame
from coreopt.lab.rules import StoppingRule
from coreopt.lab.single import convergence_test
from coreopt.lab.stable import StableLR, max_stable_lr
from coreopt.lab.surface import surface
from coreopt.lab.sweeps import sweep, sweep_runs

__all__ = ["Run", "StableLR", "StoppingRule", "convergence_test", "fair", "max_stable_lr",
           "surface", "sweep", "sweep_runs", "to_frame"]
