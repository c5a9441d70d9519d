"""Schedule-Free SGD: interpolation and averaging in place of a learning-rate schedule.

Math (Defazio et al., 2024, with t the 1-based step; the variable holds y):
    z_{t+1} = z_t - gamma_t * (g(y_t) + weight_decay * y_t)
    c_{t+1} = w_t / sum_{i <= t} w_i,     w_t = (max_{i <= t} gamma_i)^weight_lr_power
    x_{t+1} = (1 - c_{t+1}) * x_t + c_{t+1} * z_{t+1}
    y_{t+1} = (1 - beta_1) * z_{t+1} + beta_1 * x_{t+1}
with x_1 = z_1 = y_1 and the warmup gamma_t = lr * min(t / warmup_steps, 1)
(warmup_steps = 0: gamma_t = lr). The gradient is taken at y, so the variable
holds y during training, as in optax and Keras; z is the slot "z" and x is
never stored: x_t = (y_t - (1 - beta_1) * z_t) / beta_1, which the update
recovers each step (as optax and Keras do) and `eval_params(vars)` returns.
Evaluate, test and save the model at x: `with opt.swapped(vars):` holds x in
the variables for a block, `opt.finalize(vars)` writes it for good.

With `schedule_form="optax"` the step reads the warmup one step behind and
the weight one step ahead, as optax's schedule is read at its 0-based count
in the inner SGD and at its 1-based count in the weight:
    gamma_t = lr_{t-1} * min((t - 1) / warmup_steps, 1)    (0 on the first step)
    w_t uses lr_t * min(t / warmup_steps, 1)
where lr_n is a learning-rate schedule read at n steps taken. With
`float32_warmup=True` the warmed-up rate is computed as optax's
`warmup_constant_schedule` gives it under `jax.jit`: in float32 even with
64-bit JAX (its count is an int32), r = 1 / W, f = 1 - min(n, W) r and
lr - lr f, each multiply-add rounded once (XLA fuses them); after the warmup
that is lr rounded to float32. With `x_from_new_z=True`, x_t is recovered as
(y_t - (1 - beta_1) z_{t+1}) / beta_1, as Keras 3.15 does (see
`ScheduleFreeAdamW`).

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable(1.0)
    >>> opt = coreopt.ScheduleFreeSGD(learning_rate=0.1, beta_1=0.5)
    >>> for _ in range(2):   # z: 0.9, 0.8; x: 0.9, (0.9 + 0.8) / 2 = 0.85
    ...     opt.apply_gradients([tf.constant(1.0)], [x])
    >>> round(float(x.numpy()), 6), [round(float(v), 6) for v in opt.eval_params([x])]
    (0.825, [0.85])
    >>> with opt.swapped([x]):   # x in the variable, for evaluation
    ...     round(float(x.numpy()), 6)
    0.85

References:
    Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky, 2024, "The Road Less
    Scheduled" (arXiv 2405.15682); github.com/facebookresearch/schedule_free
    (lr_max and weight_lr_power; its `optimizer.eval()` / `optimizer.train()`);
    optax/contrib/_schedule_free.py (optax 0.2.8: `schedule_free`,
    `schedule_free_sgd`, `schedule_free_eval_params`).

Notes:
    Defaults are optax's schedule_free_sgd (lr 1.0, beta_1 0.9, weight_lr_power
    2, no warmup, no weight decay). optax's `warmup_steps=W` is
    `warmup_steps=W, schedule_form="optax", float32_warmup=True` (its first
    step does not move; W an integer); optax's `warmup_steps=0` means a
    learning rate of 0 throughout, here no warmup. The decay enters z's step
    (optax's `add_decayed_weights` before the SGD, the authors' code); it is
    multiplied by gamma_t. lr_max and the
    weight sum are float64 state ("lr_max", "weight_sum"); optax keeps them in
    the parameters' dtype. When the weight sum is 0 (a zero learning rate so
    far) c is 0, as in optax and the authors' code. `eval_params` is optax's
    `schedule_free_eval_params`; `swapped` and `finalize` are named as
    `coreopt.EMA`'s (Keras's `finalize_variable_values`), so `coreopt train`
    tests at x. Keras has no Schedule-Free SGD (see `ScheduleFreeAdamW`).
    `coreopt train digits --optimizers schedule_free_sgd --epochs 30` reached
    98.1% test accuracy (at x) at the default learning rate, 97.5% at 0.1.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops, swapping
from coreopt.core.hyperparameters import at_step
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option

FORMS = ("paper", "optax")
_WEIGHTING = ("warmup_steps", "weight_lr_power")  # read by `update`, not by the pure step


def evaluation_point(y, z, beta_1):
    """x = (y - (1 - beta_1) * z) / beta_1, the averaged point, in y's dtype."""
    return (y - ops.like(1 - beta_1, y) * z) / ops.like(beta_1, y)


def interpolate(y, z, z_new, c, beta_1, x_from_new_z=False):
    """y_{t+1} from y_t, z_t, z_{t+1} and c_{t+1}: x recovered (from z_{t+1} with
    `x_from_new_z`, Keras's), averaged, interpolated."""
    x = evaluation_point(y, z_new if x_from_new_z else z, beta_1)
    c = ops.like(c, y)
    x_new = (1 - c) * x + c * z_new
    return ops.like(beta_1, y) * x_new + ops.like(1 - beta_1, y) * z_new


def warmed(lr, n, warmup_steps):
    """lr * min(n / warmup_steps, 1); lr without warmup (warmup_steps = 0)."""
    factor = tf.minimum(tf.math.divide_no_nan(n, warmup_steps), 1.0)
    return tf.where(warmup_steps > 0, lr * factor, lr)


def float32_warmup(lr, n, warmup_steps):
    """`warmed` as optax's warmup schedule gives it under `jax.jit`, in float32 even with
    64-bit JAX: r = 1 / W, f = 1 - min(n, W) r, lr - lr f, each multiply-add rounded
    once (XLA fuses them) to float32. The products of float32 values are exact in float64."""
    def f32(v):
        return tf.cast(tf.cast(v, tf.float32), tf.float64)

    w = tf.maximum(warmup_steps, 1.0)
    r = tf.cast(1 / tf.cast(w, tf.float32), tf.float64)
    frac = f32(1 - tf.minimum(n, w) * r)
    value = f32(f32(lr) - f32(lr) * frac)
    return tf.where(warmup_steps > 0, value, lr)


def schedule_free_sgd_update(g, y, slots, t, *, learning_rate, c, beta_1, weight_decay,
                             x_from_new_z=False):
    """Pure step with gamma_t = `learning_rate` and the weight `c`; returns (new y, {"z"})."""
    z = slots["z"]
    z_new = z - ops.like(learning_rate, y) * (g + ops.like(weight_decay, y) * y)
    return interpolate(y, z, z_new, c, beta_1, x_from_new_z), {"z": z_new}


class ScheduleFree(Optimizer):
    """The shell shared by the Schedule-Free optimizers: warmup, weights, evaluation point.

    A subclass's pure `update_fn(g, y, slots, t, *, learning_rate, c, **hyper)`
    takes gamma_t as `learning_rate` and c_{t+1} as `c`.
    """

    slot_names = ("z",)

    def init_slots(self, x) -> dict:
        """z starts at the variable's value; the other slots at zero."""
        return {name: tf.identity(x) if name == "z" else tf.zeros_like(x)
                for name in self.slot_names}

    def init_state_own(self) -> dict:
        return {"lr_max": tf.constant(0.0, tf.float64),
                "weight_sum": tf.constant(0.0, tf.float64)}

    def step_sizes(self, state, t, warmup_steps):
        """(gamma_t for the step, the learning rate that enters the weight)."""
        lr = self.learning_rate_at(state)
        warm = float32_warmup if self._options["float32_warmup"] else warmed
        if self._options["schedule_form"] == "paper":
            gamma = warm(lr, t, warmup_steps)
            return gamma, gamma
        ahead = at_step(self._hyper["learning_rate"],
                        {**state, "iterations": state["iterations"] + 1})
        return warm(lr, t - 1, warmup_steps), warm(ahead, t, warmup_steps)

    def update(self, grads, params, slots, state, grad_fn=None):
        t = tf.cast(state["iterations"] + 1, tf.float64)
        hyper = self.hyperparameters(state)
        gamma, weighted = self.step_sizes(state, t, hyper["warmup_steps"])
        lr_max = tf.maximum(state["lr_max"], weighted)
        weight = lr_max ** hyper["weight_lr_power"]
        weight_sum = state["weight_sum"] + weight
        c = tf.math.divide_no_nan(weight, weight_sum)
        rest = {k: v for k, v in hyper.items() if k not in _WEIGHTING}
        new_z = self._options["x_from_new_z"]
        steps = [type(self).update_fn(g, y, s, t, learning_rate=gamma, c=c, **rest,
                                      x_from_new_z=new_z)
                 for g, y, s in zip(grads, params, slots)]
        new_state = {**state, "iterations": state["iterations"] + 1, "lr_max": lr_max,
                     "weight_sum": weight_sum}
        return [p for p, _ in steps], [s for _, s in steps], new_state

    # ------------------------------------------------------ evaluation point
    def eval_params(self, variables) -> list:
        """x for each variable (optax's `schedule_free_eval_params`), as tensors."""
        return [x for _, x in self._points(variables)]

    def swapped(self, variables):
        """A context in which `variables` hold x; their values (y) come back after.

        Do not step the optimizer inside the block (torch's schedule_free:
        `optimizer.eval()` ... `optimizer.train()`).
        """
        return swapping.swapped(self._points(variables))

    def finalize(self, variables):
        """Writes x into `variables` for good, at the end of training (a further step
        would read x as y)."""
        for var, x in self._points(variables):
            var.assign(x)

    def _points(self, variables) -> list:
        """[(variable, its x)], every entry checked first (its z slot must exist)."""
        beta_1 = self.hyperparameters(self.state_variables())["beta_1"]
        return [(var, evaluation_point(tf.convert_to_tensor(var), z, beta_1))
                for var, z in swapping.slot_pairs(self, variables, "z")]


def schedule_spec(learning_rate, *extra):
    """The hyperparameters both Schedule-Free optimizers share, `extra` after beta_1."""
    return Spec(
        numeric("learning_rate", learning_rate, "[0, inf)", schedule=True),
        numeric("beta_1", 0.9, "(0, 1]", doc="interpolation of y between z and x"),
        *extra,
        numeric("weight_decay", 0.0, "[0, inf)", doc="decay of y in z's step, times gamma_t"),
        numeric("warmup_steps", 0.0, "[0, inf)", doc="linear warmup length; 0: none"),
        numeric("weight_lr_power", 2.0, "[0, inf)", doc="c_t's weight: lr_max^power"),
        option("schedule_form", "paper", choices=FORMS,
               doc="'optax': warmup one step behind, weight one step ahead"),
        option("float32_warmup", False, doc="the warmed-up learning rate in float32 (optax)"),
        option("x_from_new_z", False, doc="recover x_t with z_{t+1} (Keras 3.15)"),
    )


@register("schedule_free_sgd", description="Schedule-Free SGD: y stepped, x averaged "
                                           "(eval_params / swapped give x)")
class ScheduleFreeSGD(ScheduleFree):
    """Schedule-Free SGD.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1: in (0, 1], the weight of x in y.
        weight_decay: >= 0, added to the gradient as weight_decay * y.
        warmup_steps: >= 0, the linear warmup's length (0: none).
        weight_lr_power: >= 0, the power of lr_max in the averaging weights
            (0: the uniform average, c_t = 1 / t).
        schedule_form: "paper" or "optax" (see the module docstring).
        float32_warmup: the warmed-up rate in float32, as optax's schedule.
        x_from_new_z: recover x_t with z_{t+1}, as Keras 3.15 does.
    """

    update_fn = staticmethod(schedule_free_sgd_update)
    spec = schedule_spec(1.0)
