"""SAM and ASAM: a NumPy oracle from the papers, closed forms, and the closure protocol everywhere.

The oracle is checked against closed forms; coreopt's SAM against the oracle
(float64, 1e-9 relative, the level of every wrapper's oracle test). Eager,
`tf.function` and XLA `minimize` give the same bits. The batched lab, two
replicas of a MirroredStrategy and Keras `fit` are checked against the same
steps done one at a time with `minimize`, to float32 tolerances stated where
they are used. Run as a script (`python -m tests.wrappers.test_sam mirrored
OUT.npz`), it does the distributed runs: two logical CPUs must be set before
TensorFlow starts, so they happen in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import coreopt
from coreopt.testing import oracle as reference
from tests.helpers import gradient, initial_values, make_variables, relative_error
from tests.wrappers.cases import WrapperCase

ROOT = str(Path(__file__).resolve().parents[2])


class SAMReference:
    """SAM / ASAM around a `coreopt.testing.oracle` inner oracle, float64.

    Foret et al. 2021 (p = 2) and Kwon et al. 2021 (elementwise T = |x|):
    e = rho * T^2 g / (||T g|| + epsilon) (T = 1 without `adaptive`), one norm
    over all variables; then the inner step from x with grad L(x + e).
    """

    def __init__(self, inner, rho=0.05, adaptive=False, epsilon=1e-12):
        self.inner, self.rho, self.adaptive, self.epsilon = inner, rho, adaptive, epsilon

    def step(self, grads, params, grad_fn=None):
        if grad_fn is None:
            raise ValueError("SAM needs grad_fn")
        grads = [np.asarray(g, np.float64) for g in grads]
        params = [np.asarray(x, np.float64) for x in params]
        scale = [np.abs(x) if self.adaptive else np.ones_like(x) for x in params]
        norm = np.sqrt(sum(np.sum((t * g) ** 2) for t, g in zip(scale, grads)))
        e = [self.rho * t**2 * g / (norm + self.epsilon) for t, g in zip(scale, grads)]
        sharp = grad_fn([x + d for x, d in zip(params, e)])
        return self.inner.step(sharp, params)


CASES = {"sam": WrapperCase(configs=({"rho": 0.05}, {"rho": 0.1, "adaptive": True}),
                            oracle=SAMReference, inners=("momentum",))}


# ------------------------------------------------------------------ the oracle
def test_oracle_matches_closed_form_on_a_quadratic():
    # f = a x^2 / 2, x > 0, gradient descent: e = rho, so x_n + rho = (1 - lr a)^n (x0 + rho)
    # while x_n > 0; adaptive: e = rho x, so x_n = (1 - lr a (1 + rho))^n x0.
    a, lr, rho, x0 = 2.0, 0.1, 0.05, 3.0
    for adaptive, closed in ((False, lambda n: (1 - lr * a) ** n * (x0 + rho) - rho),
                             (True, lambda n: (1 - lr * a * (1 + rho)) ** n * x0)):
        oracle = SAMReference(reference.GD(learning_rate=lr), rho=rho, adaptive=adaptive,
                              epsilon=0.0)
        x = [np.array(x0)]
        for n in range(1, 9):
            x = oracle.step([a * x[0]], x, lambda p: [a * p[0]])
            assert abs(x[0] - closed(n)) <= 1e-13 * x0


def test_oracle_norm_is_global_with_epsilon_outside():
    # f = |x|^2 / 2 over two variables (3,) and (4,): ||g|| = 5 over both, e = rho x / (5 + eps).
    rho, eps = 0.5, 0.25
    oracle = SAMReference(reference.GD(learning_rate=1.0), rho=rho, epsilon=eps)
    new = oracle.step([np.array([3.0]), np.array([4.0])], [np.array([3.0]), np.array([4.0])],
                      lambda p: p)
    np.testing.assert_allclose(np.concatenate(new), -rho * np.array([3.0, 4.0]) / (5 + eps),
                               rtol=1e-13)


# -------------------------------------------------------------- coreopt vs oracle
class Field:
    """A loss whose gradient is `tests.helpers.gradient`, step by step (one trace for all).

    `calls` counts the Python calls of the loss: one per gradient in each trace.
    """

    def __init__(self, variables):
        self.variables, self.calls = variables, 0
        self.noise = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]

    def at(self, step):
        for v, n in zip(self.variables, self.noise):
            n.assign(gradient(np.zeros(v.shape), step) + 0.5 - 0.2)  # the field's noise
        return self

    def __call__(self):
        self.calls += 1
        return tf.add_n([tf.reduce_sum(0.5 * (v - 0.5) ** 2 + 0.2 / 3 * tf.sin(3 * v) + n * v)
                         for v, n in zip(self.variables, self.noise)])


@pytest.mark.parametrize("inner", ["momentum", "adam"])
@pytest.mark.parametrize("config", CASES["sam"].configs)
def test_minimize_matches_oracle(inner, config):
    inner_config = {"learning_rate": 0.05}
    values = initial_values()
    variables = make_variables(values, tf.float64)
    opt = coreopt.SAM(coreopt.get(inner, **inner_config), **config)
    field = Field(variables)
    oracle = SAMReference(reference.REFERENCES[inner](**inner_config), **config)
    params = [v.copy() for v in values]
    for step in range(20):
        opt.minimize(field.at(step), variables)
        params = oracle.step([gradient(p, step) for p in params], params,
                             lambda ps, step=step: [gradient(p, step) for p in ps])
    for v, p, start in zip(variables, params, values):
        assert relative_error(v.numpy(), p) <= 1e-9
        assert relative_error(p, start) > 1e-2  # the steps moved it far more than that
    assert int(opt.iterations) == int(opt.inner.iterations) == 20


# ------------------------------------------------------------------ refusals
def test_apply_gradients_is_refused_naming_minimize():
    x = tf.Variable([1.0, 2.0])
    opt = coreopt.SAM(coreopt.Momentum(0.1))
    with pytest.raises(TypeError, match=r"minimize\(loss_fn, vars\)"):
        opt.apply_gradients([tf.ones(2)], [x])
    with pytest.raises(TypeError, match="minimize"):
        opt.update([tf.ones(2)], [tf.convert_to_tensor(x)], [opt.init_slots(x)],
                   opt.init_state())
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    assert coreopt.entry("sam").needs_closure and opt.chain_needs_closure
    assert coreopt.ClipByNorm(opt, 1.0).chain_needs_closure  # SAM inside a chain too


def test_keras_adapter_refuses_naming_the_fit_helper():
    from coreopt.train.keras_adapter import KerasOptimizer

    with pytest.raises(TypeError, match="sam_fit.ClosureModel"):
        KerasOptimizer(coreopt.get("sam:adam"))


@pytest.mark.parametrize("kwargs, match", [
    ({"rho": 0.0}, r"`rho` must be in \(0, inf\)"),
    ({"rho": -0.1}, r"`rho` must be in \(0, inf\)"),
    ({"epsilon": -1e-12}, r"`epsilon` must be in \[0, inf\)"),
    ({"adaptive": "yes"}, "`adaptive` must be True or False"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        coreopt.SAM(coreopt.Momentum(), **kwargs)


# -------------------------------------------------------- eager = function = XLA
@pytest.mark.parametrize("name, config", [
    ("sam:momentum", {"learning_rate": 0.05}),
    ("sam:adam", {"learning_rate": 0.05, "sam.adaptive": True, "sam.rho": 0.1}),
    ("momentum", {"learning_rate": 0.05}),
])
def test_minimize_eager_equals_function_equals_xla(name, config):
    results = []
    for mode in ("eager", "function", "xla"):
        variables = make_variables(initial_values())
        opt = coreopt.get(name, **config)
        field = Field(variables)

        def step(opt=opt, field=field, variables=variables):
            return opt.minimize(field, variables)

        if mode != "eager":
            step = tf.function(step, jit_compile=mode == "xla")
        for i in range(10):
            field.at(i)
            step()
        results.append([v.numpy() for v in variables])
        # One trace for all ten steps: the loss is called once per gradient in it.
        assert field.calls == (2 if name.startswith("sam") else 1)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_changing_hyperparameters_never_retraces():
    variables = make_variables(initial_values())
    rho = tf.Variable(0.05, dtype=tf.float64)
    opt = coreopt.SAM(coreopt.Momentum(0.1), rho=rho)
    field = Field(variables).at(0)
    for i in range(4):
        opt.learning_rate = 0.1 / (i + 1)
        rho.assign(0.05 * (i + 1))
        opt.minimize(field, variables)
    assert field.calls == 2  # one trace: two gradients in it


# ------------------------------------------------------------------ batched lab
class OneRun:
    """The lab's loop ("exact" rule, "guide" divergence) done with `minimize`, one run at a time.

    One optimizer for every run (its state zeroed between runs, `rho` a variable), so
    the closure step is traced and compiled once.
    """

    def __init__(self, function):
        self.function, self.x = function, tf.Variable(tf.zeros([2]))
        self.rho = tf.Variable(0.05, dtype=tf.float64)
        self.opt = coreopt.get("sam:momentum", **{"sam.rho": self.rho})
        self.loss_fn = lambda: function(self.x[None, :])[0]

    def __call__(self, learning_rate, rho, start, max_iters):
        opt, x = self.opt, self.x
        opt.learning_rate = learning_rate
        self.rho.assign(rho)
        x.assign(start)
        opt.build([x])
        for v in tf.nest.flatten([opt.slot_variables(x), opt.state_variables()]):
            v.assign(tf.zeros_like(v))
        path = [x.numpy()]
        for k in range(1, max_iters + 1):
            _, g = self.function.value_and_gradient(x[None, :])
            if not np.all(np.isfinite(path[-1])) or np.any(np.isnan(g.numpy())):
                return "diverged", k, path
            opt.minimize(self.loss_fn, [x])
            path.append(x.numpy())
            if np.array_equal(path[-1], path[-2]):
                return "converged", k, path
        return "max_iters", max_iters, path


def test_batched_lab_equals_one_run_at_a_time():
    from coreopt import functions, lab

    starts = [[-1.0, 1.5], [0.5, -0.5]]
    grid = {"learning_rate": [1e-3, 1e-2], "sam.rho": [0.05, 0.2]}
    runs = lab.sweep_runs("sam:momentum", "rosenbrock", grid, starts=starts, max_iters=60,
                          keep_paths=True)
    assert len(runs) == 8 and {r.engine for r in runs} == {"batched"}
    assert {r.status for r in runs} == {"max_iters", "diverged"}  # both kinds are compared
    one_run = OneRun(functions.get("rosenbrock"))
    for run in runs:
        status, iteration, path = one_run(run.config["learning_rate"], run.config["sam.rho"],
                                          run.init, 60)
        assert (run.status, run.iteration) == (status, iteration)
        # float32; only XLA's fusion of the batched loop differs from one run's step,
        # as for the lab's own batched-vs-single checks (tests/lab/test_sweeps.py).
        np.testing.assert_allclose(np.array(run.path), np.array(path), rtol=1e-5, atol=1e-6)
    assert one_run.opt._compiled_closure.experimental_get_tracing_count() == 1


# ------------------------------------------------------------------ Keras fit
def regression_data():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(32, 4)).astype(np.float32),
            rng.normal(size=(32, 1)).astype(np.float32))


def keras_net():
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                             keras.layers.Dense(1)])


def sam_optimizer():
    return coreopt.get("sam:momentum", learning_rate=0.05, momentum=0.9, **{"sam.rho": 0.1})


def custom_loop(x, y, batch, epochs):
    """The oracle: `minimize` on the mean squared error, batch by batch; mae from step 1."""
    net, opt = keras_net(), sam_optimizer()
    variables = net.trainable_variables

    @tf.function
    def step(xb, yb):
        error = net(xb, training=True) - yb  # the predictions at the weights before the step
        loss = opt.minimize(lambda: tf.reduce_mean(tf.square(net(xb, training=True) - yb)),
                            variables)
        return loss, tf.reduce_mean(tf.abs(error))

    history = {"loss": [], "mae": []}
    for _ in range(epochs):
        out = np.array([step(x[i:i + batch], y[i:i + batch]) for i in range(0, len(x), batch)])
        history["loss"].append(out[:, 0].mean())
        history["mae"].append(out[:, 1].mean())
    return [v.numpy() for v in variables], history, int(opt.iterations.numpy())


def closure_fit(x, y, batch, epochs, strategy=None):
    """Final weights, history and SAM steps of `ClosureModel(...).fit`."""
    from coreopt.train.sam_fit import ClosureModel

    with (strategy or tf.distribute.get_strategy()).scope():
        model = ClosureModel(keras_net(), sam_optimizer())
        model.compile(loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    return ([v.numpy() for v in model.trainable_variables], history.history,
            int(model.closure_optimizer.iterations.numpy()))


def assert_same_training(got, want):
    (w1, h1, n1), (w2, h2, n2) = got, want
    assert n1 == n2
    for a, b in zip(w1, w2, strict=True):
        # float32: Keras's train function is not XLA-compiled on CPU, the loop's step is;
        # fusion rounds a few last places differently over 8 steps.
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5)


def test_model_fit_through_closure_model_equals_custom_loop():
    x, y = regression_data()
    want = custom_loop(x, y, 8, 2)
    assert want[2] == 8
    assert_same_training(closure_fit(x, y, 8, 2), want)


def test_closure_train_step_in_a_subclassed_model():
    import keras

    from coreopt.train.sam_fit import closure_train_step

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            keras.utils.set_random_seed(0)
            self.hidden, self.out = keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)
            self.sam = sam_optimizer()

        def call(self, x, training=None):
            return self.out(self.hidden(x))

        def train_step(self, data):
            return closure_train_step(self, self.sam, data)

    x, y = regression_data()
    model = Net()  # not built yet: the first trace of the train step builds it
    model.compile(loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert len(model.weights) == 4  # SAM's variables are not the model's
    assert_same_training(([v.numpy() for v in model.trainable_variables], history,
                          int(model.sam.iterations.numpy())), custom_loop(x, y, 8, 2))


def test_closure_model_refuses_a_keras_optimizer():
    from coreopt.train.sam_fit import ClosureModel

    model = ClosureModel(keras_net(), sam_optimizer())
    with pytest.raises(TypeError, match="without `optimizer`"):
        model.compile(optimizer="adam", loss="mse")
    with pytest.raises(TypeError, match="coreopt optimizer"):
        ClosureModel(keras_net(), "adam")


# -------------------------------------------------------------- tf.distribute
def regression_steps(strategy, name, config, steps=5):
    """`steps` closure steps on a linear least-squares problem; weights, copies agree, step."""
    x, y = regression_data()
    rng = np.random.default_rng(1)
    w0, b0 = rng.normal(size=(4, 1)).astype(np.float32), np.zeros(1, np.float32)
    scope = strategy.scope() if strategy is not None else tf.distribute.get_strategy().scope()
    with scope:
        w, b = tf.Variable(w0), tf.Variable(b0)
        opt = coreopt.get(name, **config)
        opt.build([w, b])

    def loss_of(xb, yb):  # this replica's share of the global-batch mean
        return lambda: tf.reduce_sum(tf.square(xb @ w + b - yb)) / len(x)

    if strategy is None:
        step = tf.function(lambda: opt.minimize(loss_of(x, y), [w, b]))
    else:
        def piece(context):
            r, n = context.replica_id_in_sync_group, context.num_replicas_in_sync
            rows = slice(len(x) * r // n, len(x) * (r + 1) // n)
            return tf.constant(x[rows]), tf.constant(y[rows])

        data = strategy.experimental_distribute_values_from_function(piece)
        step = tf.function(lambda: strategy.run(
            lambda xb, yb: opt.minimize(loss_of(xb, yb), [w, b]), args=data))
    for _ in range(steps):
        step()
    local = strategy.experimental_local_results if strategy is not None else lambda v: [v]
    tracked = [w, b, *tf.nest.flatten([opt.slot_variables(w), opt.state_variables()])]
    copies = [[c.numpy() for c in local(v)] for v in tracked]
    agree = all(np.array_equal(c[0], other) for c in copies for other in c[1:])
    return [w.numpy(), b.numpy()], agree, int(opt.iterations.numpy()), w0


DISTRIBUTED = [("sam:momentum", {"learning_rate": 0.1, "sam.rho": 0.1}),
               ("sam:adam", {"learning_rate": 0.05, "sam.rho": 0.2, "sam.adaptive": True}),
               ("momentum", {"learning_rate": 0.1})]


def mirrored_main(out):
    """Runs in a subprocess: two logical CPUs, every DISTRIBUTED row and Keras fit."""
    from coreopt.train import distribute

    distribute.split_logical_cpus(2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    arrays = {}
    for i, (name, config) in enumerate(DISTRIBUTED):
        weights, agree, steps, _ = regression_steps(strategy, name, config)
        arrays.update({f"row{i}_w": weights[0], f"row{i}_b": weights[1],
                       f"row{i}_agree": agree, f"row{i}_steps": steps})
    x, y = regression_data()
    weights, history, steps = closure_fit(x, y, 8, 2, strategy)
    arrays.update({f"fit_w{i}": w for i, w in enumerate(weights)})
    arrays.update(fit_loss=history["loss"], fit_mae=history["mae"], fit_steps=steps)
    np.savez(out, **arrays)


@pytest.mark.slow
def test_mirrored_two_cpus_equals_one_device(tmp_path):
    out = tmp_path / "mirrored.npz"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "tests.wrappers.test_sam", "mirrored",
                           str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = np.load(out)
    for i, (name, config) in enumerate(DISTRIBUTED):
        weights, _, steps, w0 = regression_steps(None, name, config)
        assert bool(got[f"row{i}_agree"]) and int(got[f"row{i}_steps"]) == steps == 5
        assert np.max(np.abs(weights[0] - w0)) > 1e-2  # the steps moved the weights
        # float32; only the order of the sums over replicas differs from one device.
        for key, want in zip(("w", "b"), weights):
            np.testing.assert_allclose(got[f"row{i}_{key}"], want, rtol=1e-5, atol=1e-6,
                                       err_msg=name)
    x, y = regression_data()
    fitted = ([got[f"fit_w{i}"] for i in range(4)],
              {"loss": got["fit_loss"], "mae": got["fit_mae"]}, int(got["fit_steps"]))
    assert_same_training(fitted, custom_loop(x, y, 8, 2))


def test_minimize_inside_run_needs_a_built_optimizer():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        x = tf.Variable([1.0])
    opt = coreopt.SAM(coreopt.GradientDescent(0.1))
    with pytest.raises(ValueError, match="build"):
        strategy.run(lambda: opt.minimize(lambda: tf.reduce_sum(x**2), [x]))
    np.testing.assert_array_equal(x.numpy(), [1.0])


if __name__ == "__main__":
    if sys.argv[1:2] == ["mirrored"]:
        mirrored_main(sys.argv[2])
