"""Muon: momentum, orthogonalized by a Newton-Schulz iteration (2-D variables only).

Math (Keller Jordan's Muon, the defaults):
    m_t = mu * m_{t-1} + (1 - mu) * g_t
    u_t = mu * m_t + (1 - mu) * g_t                (nesterov=True; False: u_t = m_t)
    O_t = NS(u_t)
    x_t = x_{t-1} - lr * scale(rows, cols) * O_t

NS, the quintic Newton-Schulz iteration, in `ns_dtype` (float32 by default),
on the transpose when rows > cols (so that A below is the smaller Gram matrix):
    X_0 = u / (s * ||u||_F + epsilon)              (s = 1, or 1.01 for "polar_express")
    A_k = X_k X_k^T,   X_{k+1} = a_k X_k + (b_k A_k + c_k A_k^2) X_k,   k < ns_steps
Each step maps every singular value sigma of X to p_k(sigma) = a_k sigma +
b_k sigma^3 + c_k sigma^5 and keeps the singular vectors, so O = U S' V^T for
u = U S V^T with S' near I (Keller Jordan's coefficients do not converge: in
5 steps they take sigma in [1e-3, 1] to [0.47, 1.2]). The coefficients:

    keller_jordan  (3.4445, -4.7750, 2.0315) every step: Keller Jordan's blog and
                   muon.py; also Moonlight's toy_train.py, Keras, optax's "standard"
    you            Jiacheng You's six triples (3955/1024, -8306/1024, 5008/1024), ...,
                   (2172/1024, -1833/1024, 682/1024), found by optimization (his
                   post of 2025-02 and gist); made for ns_steps=6
    polar_express  Amsel et al.'s eight triples for l = 1e-3 with their safety
                   factor (a/1.01, b/1.01^3, c/1.01^5, all but the last) and s = 1.01
                   in the normalization, as in their polar_express.py
    dion           the five triples of microsoft/dion's muon.py (Ahn et al.),
                   optax's "dion" preset

Step k takes triple k of the list, the last one again once the list runs out
(as Polar Express's code does). Other forms, as options:

    momentum_form="sum":          m_t = mu m_{t-1} + g_t;  u_t = g_t + mu m_t (nesterov)
                                  (Keller Jordan's 2024 code, Moonlight, Keras)
    momentum_form="debiased_ema": m_t as above;  u_t = mu m_t / (1 - mu^(t+1))
                                  + (1 - mu) g_t / (1 - mu^t) (nesterov), else
                                  m_t / (1 - mu^t) (optax)
    scale="keller_jordan":        sqrt(max(1, rows / cols))
    scale="optax":                sqrt(max(1, cols / rows))   (optax's fan_out / fan_in)
    scale="moonlight":            update_rms * sqrt(max(rows, cols))   (Moonlight, Keras)
    scale="none":                 1

Example:
    >>> import coreopt, numpy as np, tensorflow as tf
    >>> x = tf.Variable(tf.zeros((2, 3)))
    >>> opt = coreopt.Muon(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant([[3.0, 0.0, 0.0], [0.0, 0.1, 0.0]])], [x])
    >>> np.round(x.numpy(), 2)   # singular values 3 and 0.1 -> steps 0.07 and 0.11
    array([[-0.07,  0.  ,  0.  ],
           [ 0.  , -0.11,  0.  ]], dtype=float32)
    >>> model = coreopt.optimizers.muon.with_adamw()   # AdamW for the other variables
    >>> sorted(model.groups)
    ['default', 'muon']

References:
    Jordan et al., 2024, "Muon: An optimizer for hidden layers in neural networks"
    (kellerjordan.github.io/posts/muon) and github.com/KellerJordan/Muon (muon.py);
    Liu et al., 2025, "Muon is Scalable for LLM Training" (Moonlight;
    github.com/MoonshotAI/Moonlight, examples/toy_train.py);
    Amsel, Persson, Musco & Gower, 2025, "The Polar Express: Optimal Matrix Sign
    Methods and Their Application to the Muon Algorithm" (arXiv 2505.16932);
    Ahn et al., 2025, "Dion: Distributed Orthonormalized Updates" (arXiv 2504.05295);
    keras/src/optimizers/muon.py (Keras 3.15); optax/contrib/_muon.py (optax 0.2.8).

Notes:
    Muon steps matrices only (`ranks = (2,)`, read by the registry): a variable
    of another rank is a `ValueError` at build, naming it. `with_adamw` below
    routes the matrices to Muon and the rest to AdamW (a `coreopt.Route`), as the
    authors prescribe for biases, gains, embeddings and the output layer
    (`exclude=` sends such matrices to AdamW too). Keller Jordan reshapes 4-D
    convolution filters to (out, in * h * w), and optax takes any rank through
    its `MuonDimensionNumbers`; neither is offered (reshape the variable).

    Layout: the references are torch code, whose Linear weight is (out, in),
    so Keller Jordan's rows / cols is fan_out / fan_in. A Keras kernel is
    (in, out): there fan_out / fan_in is cols / rows, optax's `scale="optax"`.
    The default follows Keller Jordan's code literally (rows / cols).

    Precision: Keller Jordan, Moonlight, Dion and Polar Express run NS in
    bfloat16 (`ns_dtype="bfloat16"`, their rounding though not their GPU's bits);
    Keras and optax in the variable's dtype (`ns_dtype="variable"`). The default,
    float32, is exact enough for the iteration and fast on CPUs, which emulate
    bfloat16 matrix products. The momentum is kept in the variable's dtype.

    Defaults are Keller Jordan's (lr 0.02, momentum 0.95, Nesterov, 5 steps,
    epsilon 1e-7 on the norm); Keras adds epsilon 1e-7 too, optax 1e-8. B is
    formed as b A + (c A) A, the references' `b * A + c * A @ A`. Weight decay
    is not part of the update: `DecoupledWeightDecay(Muon(...), wd)` decays by
    wd * lr before the step, as Keller Jordan, Moonlight and Keras do (optax
    adds wd * x to the update before the learning rate: the same step).
    `coreopt.compat.from_keras(keras.optimizers.Muon(...))` gives the
    equivalent Route: Muon(momentum_form="sum", scale="moonlight",
    ns_dtype="variable") on the matrices Keras orthogonalizes, Adam in Keras's
    epsilon-hat form on the rest, each with its own decay. optax's
    `contrib.muon` on the matrices is Muon(momentum_form="debiased_ema",
    scale="optax", epsilon=1e-8, ns_dtype="variable"); its other variables get
    Adam with Nesterov momentum, coreopt's `Nadam(momentum_decay=1e6)` (see
    tests/parity/test_optax.py).
"""

from __future__ import annotations

import math

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option
from coreopt.core.variables import unwrap

_KELLER_JORDAN = ((3.4445, -4.7750, 2.0315),)
_YOU = tuple((a / 1024, b / 1024, c / 1024) for a, b, c in (
    (3955, -8306, 5008), (3735, -6681, 3463), (3799, -6499, 3211), (4019, -6385, 2906),
    (2677, -3029, 1162), (2172, -1833, 682)))
_POLAR_EXPRESS_RAW = (
    (8.28721201814563, -23.595886519098837, 17.300387312530933),
    (4.107059111542203, -2.9478499167379106, 0.5448431082926601),
    (3.9486908534822946, -2.908902115962949, 0.5518191394370137),
    (3.3184196573706015, -2.488488024314874, 0.51004894012372),
    (2.300652019954817, -1.6689039845747493, 0.4188073119525673),
    (1.891301407787398, -1.2679958271945868, 0.37680408948524835),
    (1.8750014808534479, -1.2500016453999487, 0.3750001645474248),
    (1.875, -1.25, 0.375),
)
_POLAR_EXPRESS = tuple((a / 1.01, b / 1.01**3, c / 1.01**5)
                       for a, b, c in _POLAR_EXPRESS_RAW[:-1]) + _POLAR_EXPRESS_RAW[-1:]
_DION = ((4.0848, -6.8946, 2.9270), (3.9505, -6.3029, 2.6377), (3.7418, -5.5913, 2.3037),
         (2.8769, -3.1427, 1.2046), (2.8366, -3.0525, 1.2012))

# name -> (the (a, b, c) of each step, the last repeating; s, the norm's safety factor)
PRESETS = {
    "keller_jordan": (_KELLER_JORDAN, 1.0),
    "you": (_YOU, 1.0),
    "polar_express": (_POLAR_EXPRESS, 1.01),
    "dion": (_DION, 1.0),
}
SCALES = ("keller_jordan", "optax", "moonlight", "none")
_DTYPES = {"float32": tf.float32, "bfloat16": tf.bfloat16, "variable": None}


def newton_schulz(u, *, coefficients="keller_jordan", ns_steps=5, epsilon=1e-7,
                  ns_dtype="float32"):
    """NS(u) of the module docstring for a matrix `u`, returned in `u`'s dtype."""
    triples, safety = PRESETS[coefficients]
    work = _DTYPES[ns_dtype] or u.dtype
    x = tf.cast(u, work)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = tf.transpose(x)
    norm = tf.sqrt(tf.reduce_sum(tf.square(x)))
    if safety != 1.0:
        norm = norm * safety
    x = x / (norm + tf.cast(epsilon, work))
    for k in range(ns_steps):
        a, b, c = triples[min(k, len(triples) - 1)]
        gram = tf.matmul(x, x, transpose_b=True)
        poly = b * gram + tf.matmul(c * gram, gram)  # the references' b * A + c * A @ A
        x = a * x + tf.matmul(poly, x)
    if tall:
        x = tf.transpose(x)
    return tf.cast(x, u.dtype)


def shape_scale(scale, shape, update_rms=0.2):
    """The update's factor `scale(rows, cols)` for a matrix of `shape` (module docstring)."""
    rows, cols = shape
    if scale == "keller_jordan":
        return math.sqrt(max(1.0, rows / cols))
    if scale == "optax":
        return math.sqrt(max(1.0, cols / rows))
    if scale == "moonlight":
        return update_rms * math.sqrt(max(rows, cols))
    return 1.0


def muon_update(g, x, slots, t, *, learning_rate, momentum, epsilon, update_rms, nesterov=True,
                momentum_form="ema", coefficients="keller_jordan", ns_steps=5,
                ns_dtype="float32", scale="keller_jordan"):
    """Pure Muon step on a matrix; returns (new x, {"m"})."""
    _check_matrix(x, "Muon's update")
    mu = momentum
    if momentum_form == "sum":
        m = ops.like(mu, g) * slots["m"] + g
        u = g + ops.like(mu, g) * m if nesterov else m
    else:
        m = ops.ema(slots["m"], g, mu)
        if momentum_form == "ema":
            u = ops.ema(m, g, mu) if nesterov else m
        elif nesterov:  # optax: the momentum and the gradient each bias-corrected
            u = (ops.like(mu / (1 - mu ** (t + 1)), g) * m
                 + ops.like((1 - mu) / (1 - mu**t), g) * g)
        else:
            u = m / ops.like(1 - mu**t, g)
    o = newton_schulz(u, coefficients=coefficients, ns_steps=ns_steps, epsilon=epsilon,
                      ns_dtype=ns_dtype)
    step = learning_rate * shape_scale(scale, x.shape, update_rms)
    return x - ops.like(step, x) * o, {"m": m}


def _check_matrix(x, who):
    x = unwrap(x)
    if x.shape.rank == 2:
        return
    what = (f"variable {x.name.split(':')[0]!r}" if isinstance(x, tf.Variable)
            else "a tensor")
    raise ValueError(
        f"{who}: Muon orthogonalizes matrices (2-D variables) only; {what} has shape "
        f"{tuple(x.shape)} (rank {x.shape.rank}). Step the other variables with another "
        "optimizer: coreopt.optimizers.muon.with_adamw(muon, adamw) (Muon on the matrices, "
        "AdamW on the rest), or coreopt.Route(coreopt.AdamW(...), [(2, coreopt.Muon(...))]).")


@register("muon", description="Muon: momentum orthogonalized by Newton-Schulz (matrices only)")
class Muon(Optimizer):
    """Muon, for 2-D variables.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        momentum: mu, in [0, 1).
        epsilon: > 0, added to the Frobenius norm before the iteration.
        update_rms: > 0, the update RMS `scale="moonlight"` aims at (Moonlight's 0.2,
            Keras's `rms_rate`); unused by the other scales.
        nesterov: orthogonalize the Nesterov look-ahead, not the momentum.
        momentum_form: "ema" (Keller Jordan), "sum" (Keras, Moonlight),
            "debiased_ema" (optax).
        coefficients: the Newton-Schulz preset: "keller_jordan", "you",
            "polar_express" or "dion".
        ns_steps: >= 1, the number of Newton-Schulz steps.
        ns_dtype: where the iteration runs: "float32", "bfloat16" or "variable"
            (the variable's dtype).
        scale: the update's factor: "keller_jordan", "optax", "moonlight" or "none".
    """

    update_fn = staticmethod(muon_update)
    slot_names = ("m",)
    ranks = (2,)

    spec = Spec(
        numeric("learning_rate", 0.02, "[0, inf)", schedule=True),
        numeric("momentum", 0.95, "[0, 1)"),
        numeric("epsilon", 1e-7, "(0, inf)"),
        numeric("update_rms", 0.2, "(0, inf)", doc="the update RMS of scale='moonlight'"),
        option("nesterov", True),
        option("momentum_form", "ema", choices=("ema", "sum", "debiased_ema")),
        option("coefficients", "keller_jordan", choices=tuple(PRESETS)),
        option("ns_steps", 5, interval="[1, inf)"),
        option("ns_dtype", "float32", choices=tuple(_DTYPES)),
        option("scale", "keller_jordan", choices=SCALES),
    )

    def build(self, variables):
        for var in variables:  # every variable checked before any slot exists
            _check_matrix(var, type(self).__name__)
        super().build(variables)

    def init_slots(self, x) -> dict:
        _check_matrix(x, type(self).__name__)
        return super().init_slots(x)


def with_adamw(muon=None, adamw=None, *, exclude=""):
    """Muon on the 2-D variables, AdamW (or another optimizer) on every other one.

    Routed by rank, as `coreopt.Route(adamw, {"muon": (2, muon)})`. The
    authors keep embeddings and the output layer on AdamW too: `exclude`, a
    regular expression searched in each matrix's path, sends those to a second
    copy of `adamw`, `Route(adamw, {"muon": (2, Route(muon, {"adamw":
    (exclude, adamw copy)}))})`, the form `coreopt.compat.from_keras` gives
    Keras's Muon.

    Args:
        muon: a `Muon` (wrappers around it allowed), or a dict of Muon's
            hyperparameters; None: `Muon()`.
        adamw: the other variables' optimizer, a dict of `AdamW`'s
            hyperparameters, or a callable of no arguments that returns one
            (called for each group that needs one); None: Keller Jordan's
            auxiliary Adam, `AdamW(3e-4, beta_2=0.95, epsilon=1e-10,
            weight_decay=0.0)` (his MuonWithAuxAdam's defaults).
        exclude: a pattern; "" excludes no matrix.

    Returns:
        The `coreopt.Route`; its `learning_rate` is `adamw`'s (the default group's).

    Raises:
        TypeError: `exclude` with an `adamw` object that has no config to copy
            (pass a callable instead).
    """
    from coreopt.core.serialize import from_config
    from coreopt.optimizers.adamw import AdamW
    from coreopt.wrappers.routing import Route

    def other():
        if adamw is None:
            return AdamW(3e-4, 0.0, beta_2=0.95, epsilon=1e-10)
        if isinstance(adamw, dict):
            return AdamW(**adamw)
        if isinstance(adamw, Optimizer):
            return adamw
        return adamw()

    matrices = Muon(**muon) if isinstance(muon, dict) else Muon() if muon is None else muon
    first = other()
    if exclude:
        second = other()
        if second is first:
            second = from_config(first.get_config())
        matrices = Route(matrices, {"adamw": (exclude, second)})
    return Route(first, {"muon": (2, matrices)})

