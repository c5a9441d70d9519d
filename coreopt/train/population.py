"""Many trainings as one program: N members of a problem stepped together.

`population(problem, optimizer, hyper, seeds=...)` trains N copies of a
problem's model (`coreopt.train.problems`), member i with its own numeric
hyperparameters `hyper[name][i]` (any the optimizer's spec declares, wrappers'
as "wrapper.name"), each a number or a schedule of the step (a learning-rate
schedule from `coreopt.schedules`; numbers and schedules may be mixed, see
`coreopt.train.member_hyper`), its own initial weights `problem.init(seeds[i])` and its own
data order (epoch e shuffled by `np.random.default_rng(seeds[i] + e)`, the rule
of `coreopt train`). Every parameter gets a leading member axis [N, ...]; one
training step of all members is

    x_i, y_i = the members' batches                          # [N, B, ...]
    loss_i, g_i = problem.loss and its gradient, per member  # tf.vectorized_map
    h_i = member i's hyperparameters, a schedule s_i read as s_i(t) (t: steps taken)
    params_i, slots_i = optimizer.update with h_i

and the steps of an epoch are one `tf.while_loop`, compiled by XLA. A member
whose loss turns NaN or Inf stops there: its weights stay those before that
step and it is reported as diverged, while the others go on.

Each member ends where the same configuration trained alone ends
(`train_alone`: `tf.Variable`s, `optimizer.apply_gradients`, the same batches)
up to float rounding: a batched matrix product sums in another order than a
single one, so float32 weights agree to about 1e-6 relative after one epoch and
drift apart slowly (training amplifies rounding), while float64 agree to 1e-12.

Example:
    >>> from coreopt.train.population import population
    >>> result = population("digits-mlp", "adam", {"learning_rate": [1e-3, 1e-2]},
    ...                     seeds=0, epochs=1)
    >>> result
    PopulationResult(digits-mlp, adam, 2 members, 1 epochs)
    >>> [m > 0.6 for m in result.final_metric]     # validation accuracy after one epoch
    [True, True]
    >>> from coreopt import schedules               # a rate schedule per member, or a number
    >>> cosine = schedules.Cosine(1e-2, decay_steps=100)
    >>> population("wine-logreg", "adam", {"learning_rate": [1e-2, cosine]}, epochs=1)
    PopulationResult(wine-logreg, adam, 2 members, 1 epochs)
"""

from __future__ import annotations

import dataclasses
import functools
import time

import numpy as np
import tensorflow as tf

from coreopt.core import chains, ops
from coreopt.core.closures import WithLoss
from coreopt.train import problems as problems_lib
from coreopt.train.data import check_batch_size
from coreopt.train.member_hyper import MemberHyper, check_member_value, is_schedule


@dataclasses.dataclass(repr=False)
class PopulationResult:
    """What `population` returns.

    Attributes:
        problem, optimizer: their names.
        configs: member i's hyperparameters and seed, a dict each.
        history: per member, one record per epoch {epoch, step, loss, metric}
            (loss: the mean training loss of the epoch; metric: validation).
        diverged_at: per member, the step whose loss was not finite, or None.
        params: the final weights, NumPy arrays with the member axis first.
        wall_time: seconds, compilation included.
    """

    problem: str
    optimizer: str
    configs: list
    history: list
    diverged_at: list
    params: list
    wall_time: float

    @property
    def final_metric(self) -> list:
        """Each member's last validation metric."""
        return [h[-1]["metric"] if h else float("nan") for h in self.history]

    def member(self, i: int) -> list:
        """Member i's final weights."""
        return [p[i] for p in self.params]

    def __repr__(self):
        epochs = max((len(h) for h in self.history), default=0)
        return (f"PopulationResult({self.problem}, {self.optimizer}, {len(self.configs)} "
                f"members, {epochs} epochs)")


def population(problem, optimizer, hyper: dict | None = None, *, seeds=0,
               epochs: int | None = None, batch_size: int | None = None) -> PopulationResult:
    """Trains N members of `problem` as one program (see the module docstring).

    Args:
        problem: a registered problem's name or a `Problem`.
        optimizer: a registered name or chain name ("adam", "ema:adam").
        hyper: flat hyperparameter name -> a number or schedule (shared) or a
            sequence of them (one per member; numbers and schedules mixed).
        seeds: an int (every member) or one per member; seeds the initial
            weights and the data order.
        epochs, batch_size: default the problem's.

    Raises:
        ValueError: for lengths that disagree, an unknown hyperparameter or a
            value out of its range (named), before anything is trained.
        TypeError: a value neither a number nor a schedule (named, with its member).
    """
    problem = problems_lib.get(problem)
    epochs = problem.epochs if epochs is None else int(epochs)
    batch_size = check_batch_size(batch_size or problem.batch_size, len(problem.data.x_train))
    configs = member_configs(hyper or {}, seeds)
    name = chains.canonical(optimizer)
    for config in configs:  # the spec's checks, per member, before any step
        chains.build(name, {k: v for k, v in config.items() if k != "seed"})
    program = Program(problem, chains.build(name, {}), batch_size)
    start = time.perf_counter()
    history, diverged, params = program.train(configs, epochs)
    return PopulationResult(problem.name, name, configs, history, diverged, params,
                            time.perf_counter() - start)


def member_configs(hyper: dict, seeds) -> list:
    """One dict per member: every hyperparameter's value and the seed.

    Raises:
        ValueError: per-member lists of different lengths, or empty ones.
        TypeError: a value that is neither a number nor a schedule (named).
    """
    columns = {k: list(v) for k, v in hyper.items()
               if not is_schedule(v) and not isinstance(v, str) and np.ndim(v) == 1}
    if np.ndim(seeds) == 1:
        columns["seed"] = [int(s) for s in seeds]
    sizes = {k: len(v) for k, v in columns.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"Every per-member list must have one value per member; received "
                         f"lengths {sizes}.")
    n = next(iter(sizes.values()), 1)
    if n < 1:
        raise ValueError("A population needs at least one member; received empty lists.")
    shared = {k: check_member_value(k, None, v) for k, v in hyper.items() if k not in columns}
    for k, v in columns.items():
        for i, x in enumerate(v if k != "seed" else ()):
            check_member_value(k, i, x)
    if "seed" not in columns:
        shared["seed"] = int(seeds)
    return [{**{k: _plain(v) for k, v in shared.items()},
             **{k: _plain(v[i]) for k, v in columns.items()}} for i in range(n)]


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def epoch_order(seed: int, epoch: int, examples: int) -> np.ndarray:
    """The training examples' order in `epoch` for `seed` (`coreopt train`'s rule)."""
    return np.random.default_rng(seed + epoch).permutation(examples)


class Program:
    """The compiled steps and evaluation of one population (see the module docstring).

    Args:
        problem: a `Problem`.
        optimizer: a coreopt optimizer; its structure and options are used, its
            numeric hyperparameters come per member.
        batch_size: examples per step.
    """

    def __init__(self, problem, optimizer, batch_size: int):
        self.problem, self.optimizer, self.batch_size = problem, optimizer, batch_size
        data = problem.data
        self._x, self._y = tf.constant(data.x_train), tf.constant(data.y_train)
        self._x_valid, self._y_valid = tf.constant(data.x_valid), tf.constant(data.y_valid)
        # Partials, not bound methods: TensorFlow counts traces per code object, and would
        # call every new program's first trace a retrace of the last one's.
        self._metric = tf.function(functools.partial(Program._evaluate, self),
                                   jit_compile=True, autograph=False)
        self._init = tf.function(functools.partial(Program._init_all, self), autograph=False)

    def __repr__(self):
        return (f"Program({self.problem.name}, {self.optimizer!r}, "
                f"batch_size={self.batch_size})")

    def train(self, configs: list, epochs: int):
        """Trains the members; returns (history, diverged_at, final params)."""
        n, examples = len(configs), len(self.problem.data.x_train)
        hyper = MemberHyper(configs)  # the schedules are traced into this program's steps
        steps = tf.function(functools.partial(Program._run_steps, self, hyper),
                            jit_compile=True, autograph=False)
        seeds = [c["seed"] for c in configs]
        params = [tf.stack(p) for p in zip(*(self.problem.init(s) for s in seeds))]
        state = self._init(params, hyper.at(0))
        alive = tf.ones([n], tf.bool)
        failed = tf.zeros([n], tf.int64)
        history, step = [[] for _ in range(n)], 0
        for epoch in range(epochs):
            order = np.stack([epoch_order(s, epoch, examples) for s in seeds]).astype(np.int32)
            total = tf.zeros([n], tf.float64)
            for batches in self._chunks(order):
                params, state, alive, failed, total = steps(
                    params, state, alive, failed, total, hyper.numbers, batches,
                    tf.constant(step + 1, tf.int64))
                step += batches.shape[1]
            metric = self._metric(params).numpy()
            mean_loss = (total / examples).numpy()
            for i in range(n):
                history[i].append({"epoch": epoch + 1, "step": step,
                                   "loss": float(mean_loss[i]), "metric": float(metric[i])})
        diverged = [int(f) if f else None for f in failed.numpy()]
        return history, diverged, [p.numpy() for p in params]

    def _chunks(self, order):
        """The epoch's batches: full ones as one [N, S, B] block, then the smaller last."""
        b = self.batch_size
        full = order.shape[1] // b * b
        chunks = [order[:, :full].reshape(len(order), -1, b)] if full else []
        if full < order.shape[1]:
            chunks.append(order[:, full:][:, None, :])
        return [tf.constant(c) for c in chunks]

    # ---------------------------------------------------------------- traced
    def _lift(self, fn, values, *per_member):
        """`fn(member's values, *member's args)` for every member, by `tf.vectorized_map`."""
        with ops.batched_trace():
            return tf.vectorized_map(lambda args: fn(*args), (values, *per_member),
                                     fallback_to_while_loop=False)

    def _init_all(self, params, values):
        def one(own, p):
            with self.optimizer.with_hyperparameters(own):
                return [self.optimizer.init_slots(x) for x in p], self.optimizer.init_state()
        return self._lift(one, values, params)

    def _member_step(self, own, params, state, x, y):
        """One member's loss, gradient and update."""
        def loss_and_grads(p):
            with tf.GradientTape() as tape:
                tape.watch(p)
                loss = self.problem.loss(p, x, y)
            return loss, tape.gradient(loss, p)

        loss, grads = loss_and_grads(params)
        slots, opt_state = state
        with self.optimizer.with_hyperparameters(own):
            new, new_slots, new_state = self.optimizer.update(
                grads, params, slots, opt_state,
                grad_fn=WithLoss(lambda p: loss_and_grads(p)[1], loss))
        return loss, new, (new_slots, new_state)

    def _run_steps(self, hyper, params, state, alive, failed, total, numbers, batches,
                   first_step):
        def step(s, params, state, alive, failed, total):
            idx = batches[:, s]
            x, y = tf.gather(self._x, idx), tf.gather(self._y, idx)
            values = hyper.at(first_step - 1 + tf.cast(s, tf.int64), numbers)
            loss, new, new_state = self._lift(self._member_step, values, params, state, x, y)
            ok = alive & tf.math.is_finite(loss)
            failed = tf.where(alive & ~ok, first_step + tf.cast(s, tf.int64), failed)
            params = [_where(ok, a, b) for a, b in zip(new, params)]
            state = tf.nest.map_structure(lambda a, b: _where(ok, a, b), new_state, state)
            size = tf.cast(tf.shape(idx)[1], tf.float64)
            total = total + tf.where(ok, tf.cast(loss, tf.float64) * size, 0.0)
            return s + 1, params, state, ok, failed, total

        _, params, state, alive, failed, total = tf.while_loop(
            lambda s, *_: s < tf.shape(batches)[1], step,
            (tf.constant(0), params, state, alive, failed, total))
        return params, state, alive, failed, total

    def _evaluate(self, params):
        return tf.vectorized_map(
            lambda p: self.problem.metric(p, self._x_valid, self._y_valid), params,
            fallback_to_while_loop=False)


def _where(mask, a, b):
    """Per member: `a` where `mask`, else `b` (mask broadcast over the trailing axes)."""
    mask = tf.reshape(mask, [-1] + [1] * (a.shape.rank - 1))
    return tf.where(mask, a, b)


def train_alone(problem, optimizer, config: dict, *, epochs: int | None = None,
                batch_size: int | None = None) -> list:
    """One member's configuration trained on its own: `tf.Variable`s and `apply_gradients`.

    The reference for `population` (the same batches, the optimizer's own shell);
    `config` is a member's, as `PopulationResult.configs` holds it: flat
    hyperparameter names to numbers or schedules, and "seed".
    Returns the final weights as NumPy arrays.
    """
    problem = problems_lib.get(problem)
    epochs = problem.epochs if epochs is None else int(epochs)
    batch_size = check_batch_size(batch_size or problem.batch_size, len(problem.data.x_train))
    config = dict(config)
    seed = int(config.pop("seed", 0))
    opt = chains.build(chains.canonical(optimizer), config)
    variables = [tf.Variable(p) for p in problem.init(seed)]
    opt.build(variables)
    data = problem.data

    @tf.function(autograph=False)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = problem.loss(variables, x, y)
        opt.apply_gradients(tape.gradient(loss, variables), variables)

    for epoch in range(epochs):
        order = epoch_order(seed, epoch, len(data.x_train))
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            step(tf.constant(data.x_train[idx]), tf.constant(data.y_train[idx]))
    return [v.numpy() for v in variables]
