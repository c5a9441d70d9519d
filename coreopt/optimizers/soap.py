"""SOAP: Adam in the eigenbasis of Shampoo's preconditioner.

Math (Vyas et al., 2024, Algorithm 3). For each preconditioned axis i (an
axis of a tensor of rank >= 2, or a vector's one axis with precondition_1d,
of length <= max_preconditioner_dim), G_(i) the gradient unfolded along i,
and Q_i the eigenvectors of the statistic L_i (by decreasing eigenvalue):

    rotate(A)  = A x_1 Q_1^T ... x_k Q_k^T    (an axis not preconditioned: I)
    step t = 1:  L_i = (1 - b_s) G_(i) G_(i)^T,  Q_i = eigenvectors(L_i);
                 x unchanged, m = v = 0 (the step only starts the bases)
    step t > 1,  s = t - 1 (Adam's step count):
      m  <- b_1 m + (1 - b_1) g                 (m kept in the variable's own basis)
      v  <- b_2 v + (1 - b_2) rotate(g)^2       (v in the rotated basis)
      n  = rotate^-1(rotate(m) / (sqrt(v) + epsilon))      (optionally n / RMS(n))
      x  <- x - lr sqrt(1 - b_2^s) / (1 - b_1^s) n,   then x <- x - lr lambda x
      L_i <- L_i + (1 - b_s) (G_(i) G_(i)^T - L_i)
      if s % f == 0: Q_i <- QR(L_i Q_i), Q_i's columns first sorted by the
                     estimated eigenvalues diag(Q_i^T L_i Q_i), largest first,
                     and v's entries along axis i permuted alike

b_s is shampoo_beta, or b_2 when shampoo_beta < 0 (the reference's -1);
f is precondition_frequency; lambda is weight_decay.

Example:
    >>> import coreopt, tensorflow as tf
    >>> x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    >>> opt = coreopt.SOAP(learning_rate=0.1)
    >>> opt.apply_gradients([tf.constant([[1.0, 0.0], [0.0, 2.0]])], [x])
    >>> x.numpy().tolist()                      # the first step only starts the bases
    [[1.0, 2.0], [3.0, 4.0]]
    >>> opt.get_slot(x, "l_0").numpy().round(4).tolist()   # (1 - 0.95) G G^T
    [[0.05, 0.0], [0.0, 0.2]]

References:
    Vyas, Morwani, Zhao, Kwun, Shapira, Brandfonbrener, Janson & Kakade,
    2024, "SOAP: Improving and Stabilizing Shampoo using Adam" (Algorithm 3,
    and the authors' PyTorch `soap.py`, github.com/nikhilvyas/SOAP, whose
    defaults and order of operations are followed).

Notes:
    As the authors' code: defaults lr 3e-3, betas (0.95, 0.95),
    shampoo_beta -1, eps 1e-8, weight_decay 0.01 (taken after the step, from
    the updated x), precondition_frequency 10, max_precond_dim 10000,
    precondition_1d False, normalize_grads False, correct_bias True; the first
    step leaves x as it is; one power iteration and a QR decomposition
    refresh the bases. That code keeps m in the rotated basis and rotates it
    back and forth at every step; keeping it in x's basis is the same
    arithmetic, since each Q_i is orthogonal. Its `merge_dims` (reshaping
    tensors before preconditioning) and `data_format` are not reproduced.
    The statistics, the bases and the rotations are float64 by default
    (`statistics_dtype="variable"`: the variable's dtype), and the first
    bases are XLA's eigenvectors refined to float64 accuracy (see
    `eigenbasis`); m and v are kept in the variable's dtype. Where the first
    statistic has a repeated eigenvalue (an n-vector's g g^T under
    precondition_1d has n - 1 zeros; a tall matrix's G G^T too), any basis of
    that eigenspace is an answer, and the steps after depend on which one the
    eigensolver returns: XLA's here, LAPACK's in NumPy and torch. Keras,
    torch and optax ship no SOAP.
"""

from __future__ import annotations

import tensorflow as tf

from coreopt.core import ops
from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.spec import Spec, numeric, option


def soap_update(g, x, slots, t, *, learning_rate, beta_1, beta_2, shampoo_beta, epsilon,
                weight_decay, precondition_frequency, max_preconditioner_dim, precondition_1d,
                normalize_grads, correct_bias, statistics_dtype):
    """Pure SOAP step; returns (new x, {"m", "v", "l_i", "q_i" per preconditioned axis})."""
    axes = soap_axes(x.shape, max_preconditioner_dim, precondition_1d)
    dtype = tf.float64 if statistics_dtype == "float64" else x.dtype
    bases = [slots.get(f"q_{i}") for i in range(x.shape.rank)]
    m = ops.ema(slots["m"], g, beta_1)
    v = ops.ema(slots["v"], tf.square(ops.like(rotate(tf.cast(g, dtype), bases), x)), beta_2)
    ratio = ops.like(rotate(tf.cast(m, dtype), bases), x) / (tf.sqrt(v) + ops.like(epsilon, x))
    n = ops.like(rotate(tf.cast(ratio, dtype), bases, back=True), x)
    if normalize_grads:
        n = n / (1e-30 + ops.rms(n))
    s = tf.cast(t, tf.float64) - 1
    size = learning_rate * (tf.sqrt(1 - beta_2**s) / (1 - beta_1**s) if correct_bias else 1.0)
    stepped = x - ops.like(size, x) * n
    stepped = stepped - ops.like(learning_rate * weight_decay, x) * stepped
    new = new_statistics(g, slots, axes, dtype, tf.where(shampoo_beta < 0, beta_2, shampoo_beta))
    first = tf.equal(t, 1)
    refresh = tf.logical_and(s > 0, tf.equal(tf.math.floormod(s, precondition_frequency), 0))
    new_v, new_q = ops.select(first, lambda: (slots["v"], first_bases(new, axes)),
                              lambda: ops.select(refresh, lambda: refreshed(v, new, slots, axes),
                                                 lambda: (v, {f"q_{i}": slots[f"q_{i}"]
                                                              for i in axes})))
    x_new, m = ops.select(first, lambda: (x, slots["m"]), lambda: (stepped, m))
    return x_new, {"m": m, "v": new_v, **new, **new_q}


def soap_axes(shape, max_dim, precondition_1d) -> list[int]:
    """The axes of a parameter of `shape` that get a preconditioner."""
    shape = tf.TensorShape(shape)
    if shape.rank == 1 and not precondition_1d:
        return []
    return [i for i, n in enumerate(shape) if 1 <= n <= max_dim]


def new_statistics(g, slots, axes, dtype, beta):
    """Each L_i moved toward G_(i) G_(i)^T by 1 - beta (torch's `lerp_`)."""
    g = tf.cast(g, dtype)
    new = {}
    for i in axes:
        others = [j for j in range(g.shape.rank) if j != i]
        L = slots[f"l_{i}"]
        new[f"l_{i}"] = L + ops.like(1 - beta, g) * (tf.tensordot(g, g, [others, others]) - L)
    return new


def rotate(a, bases, back=False):
    """a x_1 Q_1^T ... x_k Q_k^T (`back`: x_i Q_i); each contraction takes axis 0 and
    appends the new axis last, so after k of them the axes are in order (None: I)."""
    for q in bases:
        if q is None:
            a = tf.transpose(a, [*range(1, a.shape.rank), 0])
        else:
            a = tf.tensordot(a, q, axes=[[0], [1 if back else 0]])
    return a


def first_bases(statistics, axes):
    """Q_i = the eigenvectors of each L_i, by decreasing eigenvalue."""
    return {f"q_{i}": eigenbasis(statistics[f"l_{i}"]) for i in axes}


def refreshed(v, statistics, slots, axes):
    """One power iteration and a QR per axis; v's entries follow the sorted columns."""
    bases = {}
    for i in axes:
        L, Q = statistics[f"l_{i}"], slots[f"q_{i}"]
        estimate = tf.reduce_sum(Q * tf.matmul(L, Q), axis=0)  # diag(Q^T L Q)
        order = tf.argsort(estimate, direction="DESCENDING", stable=True)
        v = tf.gather(v, order, axis=i)
        bases[f"q_{i}"] = tf.linalg.qr(tf.matmul(L, tf.gather(Q, order, axis=1)))[0]
    return v, bases


def eigenbasis(A, refinements: int = 2):
    """The eigenvectors of a symmetric A as columns, by decreasing eigenvalue.

    XLA's `eigh` returns orthonormal vectors whose V^T A V keeps off-diagonal
    entries of 1e-9 to 1e-7 of ||A|| in float64. Each refinement rotates
    every pair (i, j) by the Jacobi angle theta_ij = atan(2 B_ij / (B_jj -
    B_ii)) / 2 of B = V^T A V (first order: B_ij / (B_jj - B_ii), the
    eigenvector perturbation) and re-orthonormalizes by QR; the error
    squares each time, so two reach rounding. The sign of a column is
    arbitrary, and SOAP's step does not depend on it.
    """
    V = tf.reverse(tf.linalg.eigh(A)[1], axis=[1])
    for _ in range(refinements):
        B = tf.matmul(V, tf.matmul(A, V), transpose_a=True)
        d = tf.linalg.diag_part(B)
        off = B - tf.linalg.diag(d)
        theta = 0.5 * tf.atan(tf.math.divide_no_nan(2 * off, d[None, :] - d[:, None]))
        V = tf.linalg.qr(tf.matmul(V, tf.eye(A.shape[0], dtype=A.dtype) + theta))[0]
    return V


@register("soap", description="SOAP: Adam in the eigenbasis of Shampoo's preconditioner")
class SOAP(Optimizer):
    """SOAP.

    Args:
        learning_rate: float >= 0, `tf.Variable`, or schedule of the step.
        beta_1, beta_2: Adam's decays, in [0, 1).
        shampoo_beta: the statistics' decay, in [0, 1); negative: beta_2.
        epsilon: > 0, added to Adam's root.
        weight_decay: >= 0, x <- x - lr weight_decay x after the step.
        precondition_frequency: Adam steps between two refreshes of the bases.
        max_preconditioner_dim: an axis longer than this is not rotated.
        precondition_1d: rotate vectors too (one n x n basis).
        normalize_grads: divide the rotated-back step by its RMS.
        correct_bias: Adam's bias corrections in the step size.
        statistics_dtype: "float64", or "variable": the dtype of L_i, Q_i and the rotations.
    """

    update_fn = staticmethod(soap_update)

    spec = Spec(
        numeric("learning_rate", 3e-3, "[0, inf)", schedule=True),
        numeric("beta_1", 0.95, "[0, 1)"),
        numeric("beta_2", 0.95, "[0, 1)"),
        numeric("shampoo_beta", -1.0, "[-1, 1)"),
        numeric("epsilon", 1e-8, "(0, inf)"),
        numeric("weight_decay", 0.01, "[0, inf)"),
        option("precondition_frequency", 10, interval="[1, inf)"),
        option("max_preconditioner_dim", 10000, interval="[1, inf)"),
        option("precondition_1d", False),
        option("normalize_grads", False),
        option("correct_bias", True),
        option("statistics_dtype", "float64", choices=("float64", "variable")),
    )

    def stands_still(self, state):
        """The first call only starts the bases."""
        return tf.equal(state["iterations"], 0)

    def init_slots(self, x):
        """m and v (like x), and per preconditioned axis of length n its statistic l_i
        (n x n zeros) and basis q_i (the identity until the first step sets it)."""
        slots = {"m": tf.zeros_like(x), "v": tf.zeros_like(x)}
        options = self._options
        dtype = (tf.float64 if options["statistics_dtype"] == "float64"
                 else self.compute_dtype(x.dtype))
        for i in soap_axes(x.shape, options["max_preconditioner_dim"],
                           options["precondition_1d"]):
            n = x.shape[i]
            slots[f"l_{i}"] = tf.zeros([n, n], dtype)
            slots[f"q_{i}"] = tf.eye(n, dtype=dtype)
        return slots
