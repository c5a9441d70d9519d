"""The range test as a population: many constant learning rates trained at once.

The ramp (`coreopt.train.lr_find`) raises the rate step by step in one run, so
the loss at rate r is that of weights trained at every smaller rate before it.
`lr_scan` instead trains one member per rate (`coreopt.train.population`), all
from the same weights and batches, each at its own constant rate for the same
short budget, and reads each member's mean training loss over its last epoch:

    L(r) = mean training loss after `epochs` epochs at the constant rate r
           (inf for a member that diverged)

The same rules as the ramp's (`lr_suggest`: steepest descent, minimum / 10, the
valley) then run on L(r), and `compare(scan, ramp)` says how the two answers
differ. The ramp costs one run of `steps` steps; the scan `members` runs of
`epochs` epochs, stepped as one program. The curves differ in kind: the ramp's
loss at r carries the progress made at every rate below r, the scan's does not,
and on the scan's curve, which falls from the smallest rate on, the valley rule
picks a rate low on the slope; its lowest loss (`best`) is the scan's own answer.

Example:
    >>> from coreopt.train.lr_scan import lr_scan
    >>> scan = lr_scan("digits-mlp", "adam", members=8, epochs=1)
    >>> scan
    LRScan(digits-mlp, adam, 8 rates from 1e-06 to 1, 1 epochs)
    >>> 1e-3 < scan.best() < 0.3          # the rate of the lowest loss after one epoch
    True
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from coreopt.train import lr_suggest
from coreopt.train.population import population


@dataclasses.dataclass(repr=False)
class LRScan:
    """The scan's record (plain values).

    Attributes:
        problem, optimizer: their names; epochs: each member's budget; seed:
            the shared initial weights and data order.
        lrs: the members' constant rates, ascending; losses: L(r) per rate (inf
            for a diverged member); diverged: per rate, whether it diverged.
        suggestions: name -> {"lr", "index", "loss"} or None, as the ramp's.
    """

    problem: str
    optimizer: str
    epochs: int
    seed: int
    lrs: list
    losses: list
    diverged: list
    suggestions: dict

    def suggested(self, name: str = "valley") -> float | None:
        """The rate suggested by `name` ("steepest", "minimum" or "valley")."""
        return lr_suggest.suggested(self.suggestions, name)

    def to_dict(self) -> dict:
        """The record as plain JSON values (a diverged rate's loss as None)."""
        values = dataclasses.asdict(self)
        values["losses"] = [v if math.isfinite(v) else None for v in self.losses]
        return values

    def best(self) -> float:
        """The rate of the lowest loss."""
        return float(self.lrs[int(np.argmin(self.losses))])

    def __repr__(self):
        return (f"LRScan({self.problem}, {self.optimizer}, {len(self.lrs)} rates from "
                f"{self.lrs[0]:.3g} to {self.lrs[-1]:.3g}, {self.epochs} epochs)")


def lr_scan(problem, optimizer, *, start_lr: float = 1e-6, end_lr: float = 1.0,
            members: int = 32, epochs: int = 1, seed: int = 0,
            batch_size: int | None = None) -> LRScan:
    """Trains `members` constant rates log-spaced over [start_lr, end_lr] as one population.

    `problem` is a problem's name or a `Problem` (`coreopt.train.problems`);
    `batch_size` defaults to the problem's.

    Raises:
        ValueError: for a bad range or member count (named), before any training.
    """
    if not isinstance(members, int) or isinstance(members, bool) or members < 2:
        raise ValueError(f"`members` must be an integer >= 2; received {members!r}.")
    lr_suggest.check_ramp(start_lr, end_lr, members, "exp")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"`epochs` must be an integer >= 1; received {epochs!r}.")
    lrs = lr_suggest.ramp(start_lr, end_lr, members, "exp").tolist()
    result = population(problem, optimizer, {"learning_rate": lrs}, seeds=seed, epochs=epochs,
                        batch_size=batch_size)
    diverged = [d is not None for d in result.diverged_at]
    losses = [math.inf if d else h[-1]["loss"] for d, h in zip(diverged, result.history)]
    return LRScan(result.problem, result.optimizer, epochs, seed, lrs, losses, diverged,
                  lr_suggest.suggest(lrs, _finite(losses)))


def _finite(losses):
    """A diverged member's loss, for the rules: above every finite one."""
    finite = [v for v in losses if math.isfinite(v)]
    top = 10 * max(finite) if finite else 1.0
    return [v if math.isfinite(v) else top for v in losses]


def compare(scan: LRScan, ramp) -> str:
    """A sentence on how the scan's suggestions differ from the ramp's (an `LRFindResult`)."""
    parts = []
    for name in lr_suggest.NAMES:
        a, b = scan.suggested(name), ramp.suggested(name)
        if a is None or b is None:
            parts.append(f"{name}: {'none' if a is None else f'{a:.2g}'} (scan) against "
                         f"{'none' if b is None else f'{b:.2g}'} (ramp)")
            continue
        factor = max(a, b) / min(a, b)
        side = "larger" if a > b else "smaller"
        parts.append(f"{name}: {a:.2g} (scan) against {b:.2g} (ramp), the scan's "
                     f"{factor:.2g}x {side}" if factor > 1.001 else f"{name}: {a:.2g} both")
    return ("Constant rates against the ramp: " + "; ".join(parts) + f". The scan's lowest "
            f"loss is at {scan.best():.2g}"
            + (f"; {sum(scan.diverged)} of {len(scan.lrs)} rates diverged." if any(
                scan.diverged) else "."))
