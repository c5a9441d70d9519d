"""Schedules over the steps: one line per schedule, from values already computed.

The values come from `coreopt.schedules` (evaluated by the caller, e.g.
`coreopt plot --kind schedule`); nothing here imports TensorFlow. A long run
is drawn from every step (a schedule's kinks, warmup ends and restarts stay
sharp); a log scale is used when every value is positive and they span more
than three decades (a schedule that reaches zero is drawn on a linear scale).

Example:
    >>> import numpy as np
    >>> from coreopt.plots import schedules
    >>> steps = np.arange(100)
    >>> ax = schedules.plot_schedules(steps, {"linear": 0.1 * (1 - steps / 100)})
    >>> ax.get_xlabel(), ax.get_legend_handles_labels()[1]
    ('step', ['linear'])
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from coreopt.plots.style import color, new_figure, style

LOG_SPAN = 1e3  # max/min above this: a log scale


def plot_schedules(steps, values: dict, ax: Axes | None = None, *,
                   ylabel: str = "value") -> Axes:
    """One line per schedule, `values[label][i]` at `steps[i]`.

    Args:
        steps: the steps (the number already taken), a 1-D array.
        values: label -> values at `steps`, each as long as `steps`.
        ax: the axes to draw on; None: a new figure.
        ylabel: what the values are (e.g. "learning rate").

    Raises:
        ValueError: no schedule, or values that do not line up with `steps`.
    """
    steps = np.asarray(steps)
    if not values:
        raise ValueError("plot_schedules: no schedule to draw.")
    for label, v in values.items():
        if np.shape(v) != steps.shape:
            raise ValueError(f"plot_schedules: {label!r} has {np.size(v)} values for "
                             f"{steps.size} steps.")
    with style():
        if ax is None:
            _, ax = new_figure()
        for i, (label, v) in enumerate(values.items()):
            ax.plot(steps, v, color=color(i), linewidth=1.6, label=label)
        every = np.concatenate([np.ravel(v) for v in values.values()])
        if every.min() > 0 and every.max() / every.min() > LOG_SPAN:
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.set_xlim(steps.min(), steps.max())
        ax.legend(loc="best", frameon=False)
        ax.grid(True, alpha=0.3)
    return ax
