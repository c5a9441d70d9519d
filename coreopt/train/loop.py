"""The training loop: compiled steps, evaluation, history, TensorBoard, checkpoints, resume.

`Trainer(model, optimizer, split, ...)` trains a Core-API model (any
`tf.Module` called on a batch that returns logits) with any coreopt optimizer
or chain of wrappers (an instance, or a chain name such as "sam:momentum"),
or any other object with the `apply_gradients(grads, vars)` protocol (Keras's).

* The train step is one `tf.function`; batch loss and hits accumulate in
  variables, so no number comes back to Python until the epoch ends.
* The gradient is that of `optimizer.scale_loss(loss)` (a `LossScale` chain
  multiplies by its scale and divides the gradients again; Keras's
  `LossScaleOptimizer` likewise), the loss recorded unscaled.
* An optimizer whose `chain_needs_closure` is True (SAM) is stepped inside
  that compiled step by `minimize(loss_fn, vars)`, `loss_fn` the batch's
  cross-entropy, the same loss the gradient path differentiates; under a
  strategy inside `strategy.run`, each replica's share of the global-batch
  loss (`coreopt.core.distributed.minimize_in_replica` sums the gradients).
* After each epoch the history gets one record:
  {epoch, step, loss, accuracy, test_loss, test_accuracy, time_s}
  (train figures averaged over the epoch's examples, test on the held-out split).
  When a level of the chain has `swapped` (an EMA, Schedule-Free), the test
  figures are of the weights it swaps in for the evaluation only (the EMA's
  averages, Schedule-Free's x) and each record also has "test_weights", their
  label (`coreopt.train.results.weights_label`: "ema average", "schedule-free x").
* `logdir`: the same figures as TensorBoard scalars (`tf.summary`), by epoch.
* `telemetry=True`: each record also has "telemetry", per layer the epoch's mean
  gradient norm, update ratio and effective learning rate (`coreopt.train.telemetry`).
* `checkpoint_dir`: a `tf.train.CheckpointManager` saves model, optimizer,
  step counter, epoch accumulators and history every `checkpoint_every`
  steps and at the end. `fit(resume=True)` restores the latest checkpoint
  and continues from its step. Epoch e is shuffled with seed `seed + e`, so the
  resumed run sees the same batches and ends with bit-identical weights.

Example:
    >>> import coreopt
    >>> from coreopt.train import data, loop, model
    >>> split = data.load("digits")
    >>> mlp = model.MLP([64, 32, 10], seed=0)
    >>> trainer = loop.Trainer(mlp, coreopt.Adam(1e-3), split, batch_size=64, verbose=0)
    >>> history = trainer.fit(epochs=2)
    >>> [record["epoch"] for record in history]
    [1, 2]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from coreopt.core import checkpoints
from coreopt.train import data as data_lib
from coreopt.train import distribute
from coreopt.train import telemetry as telemetry_lib
from coreopt.train.folders import META_FILE, check_meta, check_writable, write_json
from coreopt.train.model import accuracy, cross_entropy
from coreopt.train.results import averaging_level, weights_label


class Trainer:
    """Trains `model` with `optimizer` on a `data.Split`.

    Args:
        model: a `tf.Module` mapping a float32 batch to logits.
        optimizer: a coreopt optimizer or chain, a chain name (built by
            `coreopt.get`, under the strategy's scope), or another object with
            `apply_gradients(grads, vars)` (Keras's).
        split: the data (`coreopt.train.data.Split`).
        batch_size: global batch size, in [1, training examples].
        seed: the data order: epoch e is shuffled with seed `seed + e`.
        strategy: a `tf.distribute` strategy the model and optimizer were made
            under, or None for one device.
        logdir: folder for TensorBoard scalars, or None.
        checkpoint_dir: folder for checkpoints, or None.
        checkpoint_every: save every this many steps (and at the end), >= 1.
        meta: what a checkpoint must match to be resumed (plain JSON values,
            e.g. model sizes and optimizer config); saved next to the checkpoints.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        jit_compile: compile the whole train step with XLA (one device only).
        telemetry: add each layer's gradient norm, update ratio and effective
            learning rate to the records and scalars (`coreopt.train.telemetry`).

    Raises:
        ValueError: for a bad batch size or `checkpoint_every`, or an unknown
            chain name.
        PermissionError: for a log or checkpoint folder that cannot be written.
    """

    def __init__(self, model, optimizer, split, *, batch_size: int = 32, seed: int = 0,
                 strategy=None, logdir=None, checkpoint_dir=None, checkpoint_every: int = 100,
                 meta: dict | None = None, verbose: int = 1, jit_compile: bool = False,
                 telemetry: bool = False):
        self.batch_size = data_lib.check_batch_size(batch_size, len(split.x_train))
        if not isinstance(checkpoint_every, int) or checkpoint_every < 1:
            raise ValueError(f"`checkpoint_every` must be an int >= 1; received "
                             f"{checkpoint_every!r}.")
        optimizer = as_optimizer(optimizer, strategy)
        self.writes = strategy is None or distribute.is_chief(strategy)
        for folder in (logdir, checkpoint_dir):
            if folder is not None and self.writes:
                check_writable(folder)
        self.model, self.optimizer, self.split = model, optimizer, split
        self.seed, self.strategy, self.verbose = int(seed), strategy, int(verbose)
        self.logdir, self.checkpoint_dir = logdir, checkpoint_dir
        self.checkpoint_every, self.meta = checkpoint_every, dict(meta or {})
        self.jit_compile = bool(jit_compile) and strategy is None
        self.steps_per_epoch = data_lib.steps_per_epoch(len(split.x_train), self.batch_size)
        self.averaged = averaging_level(optimizer)
        self.test_weights = weights_label(self.averaged)
        self._make_state()
        self.telemetry = telemetry_lib.Telemetry(self.variables, model) if telemetry else None
        self._train_step = self._compile_train_step()
        self._eval = tf.function(self._evaluate_batch)

    def _make_state(self):
        self.variables = list(self.model.trainable_variables)
        with self._scope():
            self.optimizer.build(self.variables)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.sums = tf.Variable(tf.zeros([3], tf.float64), trainable=False, name="epoch_sums")
        self.history_text = tf.Variable("[]", trainable=False, name="history")
        self.checkpoint = tf.train.Checkpoint(
            model=self.model, optimizer=self.optimizer, step=self.step, sums=self.sums,
            history=self.history_text,
        )

    def _scope(self):
        return self.strategy.scope() if self.strategy is not None else _NullScope()

    def __repr__(self):
        return (f"Trainer(model={self.model!r}, optimizer={self.optimizer!r}, "
                f"data={self.split.name!r}, batch_size={self.batch_size}, seed={self.seed}, "
                f"strategy={type(self.strategy).__name__ if self.strategy else None})")

    # ------------------------------------------------------------ compiled steps
    def _loss_and_grads(self, x, y, denominator):
        """(loss, hits, gradients of the loss as the optimizer's `scale_loss` scales it)."""
        scale = getattr(self.optimizer, "scale_loss", None) or (lambda loss: loss)
        with tf.GradientTape() as tape:
            logits = self.model(x)
            loss = cross_entropy(logits, y, denominator)
            scaled = scale(loss)  # a loss-scaling chain (LossScale) multiplies it
        grads = tape.gradient(scaled, self.variables)
        return loss, _hits(logits, y), grads

    def _apply(self, x, y, denominator):
        """One optimizer step on the batch; (its loss, its hits) at the weights before it,
        and the step's telemetry measures when it is on."""
        if self.telemetry is not None:
            return self._measured(x, y, denominator)
        if not getattr(self.optimizer, "chain_needs_closure", False):
            loss, hits, grads = self._loss_and_grads(x, y, denominator)
            self.optimizer.apply_gradients(list(zip(grads, self.variables)))
            return loss, hits
        hits = _hits(self.model(x), y)  # at the weights before the step, as above

        def loss_fn():
            return cross_entropy(self.model(x), y, denominator)

        return self.optimizer.minimize(loss_fn, self.variables), hits

    def _measured(self, x, y, denominator):
        """`_apply` with telemetry (a closure step also takes the gradient at theta once)."""
        def loss_fn():
            return cross_entropy(self.model(x), y, denominator)

        closure = getattr(self.optimizer, "chain_needs_closure", False)
        return self.telemetry.step(self.optimizer, lambda: self._loss_and_grads(
            x, y, denominator), loss_fn if closure else None)

    def _accumulate(self, loss, hits, n, *measures):
        for m in measures:  # telemetry's, one step's
            self.telemetry.add(m)
        n = tf.cast(n, tf.float64)
        self.sums.assign_add(tf.stack([tf.cast(loss, tf.float64) * n, hits, n]))
        self.step.assign_add(1)

    def _compile_train_step(self):
        if self.strategy is None:
            def step(x, y):
                loss, hits, *measures = self._apply(x, y, None)
                self._accumulate(loss, hits, tf.shape(x)[0], *measures)
            return tf.function(step, jit_compile=self.jit_compile)

        strategy = self.strategy

        def step(batch, n):
            loss, hits, *measures = strategy.run(self._apply, args=(*batch, n))
            total = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
            hits = strategy.reduce(tf.distribute.ReduceOp.SUM, hits, axis=None)
            measures = [strategy.reduce(tf.distribute.ReduceOp.MEAN, m, axis=None)
                        for m in measures]  # the replicas' are equal (summed gradients)
            self._accumulate(total, hits, n, *measures)
        return tf.function(step)

    def _run_step(self, x, y):
        if self.strategy is None:
            self._train_step(x, y)
        else:
            self._train_step(distribute.shard(self.strategy, x, y), tf.shape(x)[0])

    def _evaluate_batch(self, x, y):
        logits = self.model(x)
        return cross_entropy(logits, y), accuracy(logits, y)

    def evaluate(self, x, y, *, averaged: bool = True) -> tuple[float, float]:
        """(mean loss, accuracy) of the model on (x, y), in one batch.

        When a level of the chain has `swapped` (an EMA, Schedule-Free) and
        `averaged` is True, the model is evaluated with the weights it swaps in
        for the evaluation only (averages, x); else with the trained weights.
        """
        scope = self.averaged.swapped(self.variables) if averaged and self.averaged \
            else _NullScope()
        with scope:
            loss, acc = self._eval(tf.constant(x), tf.constant(y))
            return float(loss), float(acc)

    # --------------------------------------------------------------------- fit
    def fit(self, epochs: int, *, resume: bool = False, on_step=None) -> list[dict]:
        """Trains until `epochs` epochs are done; returns the history (one dict per epoch).

        Args:
            epochs: total epochs, counting those of a resumed checkpoint, >= 1.
            resume: continue from the latest checkpoint in `checkpoint_dir`.
            on_step: called as `on_step(step)` after each step (e.g. to stop early).

        Raises:
            ValueError: for epochs < 1, `resume` without checkpoints, a checkpoint
                made for other settings (the mismatch is named), or a folder
                that already holds checkpoints while `resume` is False.
        """
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"`epochs` must be an int >= 1; received {epochs!r}.")
        manager = self._manager(resume)
        history = json.loads(self.history_text.numpy().decode())
        writer = tf.summary.create_file_writer(str(self.logdir)) if self._logs() else None
        first_epoch = int(self.step.numpy()) // self.steps_per_epoch
        for epoch in range(first_epoch, epochs):
            record = self._epoch(epoch, epochs, manager, on_step)
            history.append(record)
            self.history_text.assign(json.dumps(history))
            self._save(manager, at_end=epoch + 1 == epochs)
            self._report(record, epochs, writer)
        return history

    def _save(self, manager, at_end=False):
        """Saves every `checkpoint_every` steps, and at the end of training."""
        if manager is None or not self.writes:
            return  # no read of the step counter: a step must not wait for the last one
        step = int(self.step.numpy())
        if not (at_end or step % self.checkpoint_every == 0):
            return
        if manager.latest_checkpoint != str(Path(self.checkpoint_dir) / f"ckpt-{step}"):
            manager.save(checkpoint_number=step)

    def _logs(self) -> bool:
        return self.logdir is not None and self.writes

    def _epoch(self, epoch, epochs, manager, on_step) -> dict:
        done = int(self.step.numpy()) - epoch * self.steps_per_epoch
        if done == 0:
            self.sums.assign(tf.zeros([3], tf.float64))
        if self.telemetry is not None:  # not checkpointed: the steps this call runs
            self.telemetry.reset()
        batches = data_lib.pipeline(self.split.x_train, self.split.y_train,
                                    batch_size=self.batch_size, seed=self.seed, epoch=epoch,
                                    skip=done)
        bar = Progress(epoch + 1, epochs, self.steps_per_epoch, self.verbose)
        start = time.perf_counter()
        for i, (x, y) in enumerate(batches, start=done + 1):
            self._run_step(x, y)
            if i < self.steps_per_epoch:  # an epoch's last step saves with its record
                self._save(manager)
            bar.update(i)
            if on_step is not None:
                on_step(int(self.step.numpy()))
        loss_sum, hits, seen = self.sums.numpy()
        test_loss, test_acc = self.evaluate(self.split.x_test, self.split.y_test)
        record = {"epoch": epoch + 1, "step": int(self.step.numpy()),
                  "loss": float(loss_sum / seen), "accuracy": float(hits / seen),
                  "test_loss": test_loss, "test_accuracy": test_acc,
                  "time_s": time.perf_counter() - start}
        if self.test_weights is not None:
            record["test_weights"] = self.test_weights
        if self.telemetry is not None:
            record["telemetry"] = self.telemetry.result()
        return record

    def _report(self, record, epochs, writer):
        if self.verbose:
            which = f" ({record['test_weights']})" if "test_weights" in record else ""
            print(f"\repoch {record['epoch']}/{epochs}  loss {record['loss']:.4f}  "
                  f"acc {record['accuracy']:.4f}  test{which} loss {record['test_loss']:.4f}  "
                  f"test acc {record['test_accuracy']:.4f}  {record['time_s']:.2f} s",
                  file=sys.stderr, flush=True)
        if writer is not None:
            with writer.as_default():
                for key in ("loss", "accuracy", "test_loss", "test_accuracy", "time_s"):
                    scalar_summary(key, record[key], record["epoch"])
                telemetry_lib.write_scalars(record.get("telemetry", {}), record["epoch"],
                                            scalar_summary)
            writer.flush()

    # ------------------------------------------------------------- checkpoints
    def _manager(self, resume):
        if getattr(self, "_checkpoints", None) is not None and not resume:
            return self._checkpoints  # a later fit() of this trainer continues its own run
        self._checkpoints = self._open_manager(resume)
        return self._checkpoints

    def _open_manager(self, resume):
        if self.checkpoint_dir is None:
            if resume:
                raise ValueError("`resume=True` needs a `checkpoint_dir`.")
            return None
        folder = Path(self.checkpoint_dir)
        latest = tf.train.latest_checkpoint(str(folder))
        if resume:
            if latest is None:
                raise ValueError(f"nothing to resume: no checkpoint in {str(folder)!r}.")
            check_meta(folder, self.meta)
        elif latest is not None:
            raise ValueError(
                f"{str(folder)!r} already holds checkpoints ({Path(latest).name}); pass "
                "resume=True (--resume) to continue them, or choose another folder."
            )
        manager = tf.train.CheckpointManager(self.checkpoint, str(folder), max_to_keep=3)
        if resume:  # refuses another optimizer chain's checkpoint before restoring anything
            checkpoints.restore(self.checkpoint, latest)
        elif self.writes:
            write_json(folder / META_FILE, self.meta)
        return manager


def as_optimizer(optimizer, strategy=None):
    """`optimizer` itself, or the chain a name names built under `strategy`'s scope.

    Raises:
        ValueError: for an unknown name or a bad chain (`coreopt.core.chains.parse`).
    """
    if not isinstance(optimizer, str):
        return optimizer
    import coreopt

    with strategy.scope() if strategy is not None else _NullScope():
        return coreopt.get(optimizer)


def _hits(logits, labels):
    """The number of rows whose largest logit is the label, as a float64 scalar."""
    hits = tf.equal(tf.argmax(logits, -1, output_type=labels.dtype), labels)
    return tf.reduce_sum(tf.cast(hits, tf.float64))


def scalar_summary(tag: str, value: float, step: int) -> None:
    """Writes a scalar to the default `tf.summary` writer, tagged for TensorBoard's scalars.

    Core `tf.summary.write` with the scalar plugin's metadata, so it needs no
    TensorBoard package at training time.
    """
    metadata = summary_pb2.SummaryMetadata()
    metadata.plugin_data.plugin_name = "scalars"
    tf.summary.write(tag, tf.constant(value, tf.float32), step=step, metadata=metadata)


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Progress:
    """A one-line text progress bar on stderr for one epoch (verbose=1, a terminal only)."""

    def __init__(self, epoch: int, epochs: int, steps: int, verbose: int, width: int = 30):
        self.epoch, self.epochs, self.steps = epoch, epochs, steps
        self.show, self.width = verbose == 1 and sys.stderr.isatty(), width

    def update(self, i: int) -> None:
        if not self.show or (i % max(1, self.steps // 20) and i != self.steps):
            return
        filled = self.width * i // self.steps
        print(f"\repoch {self.epoch}/{self.epochs} [{'=' * filled:<{self.width}}] "
              f"{i}/{self.steps}", end="", file=sys.stderr, flush=True)

    def __repr__(self):
        return f"Progress(epoch={self.epoch}, epochs={self.epochs}, steps={self.steps})"
