"""NumPy oracles for every registered problem: loss and metric written from the math.

Each entry maps a problem name to (loss, metric), functions of a list of float64
NumPy parameters and a batch (x, y). They share no code with the TensorFlow
problems: the convolution is a loop over output positions, the cross-entropy a
log-sum-exp, the binary cross-entropy the two-log form.
"""

from __future__ import annotations

import numpy as np


def relu(a):
    return np.maximum(a, 0.0)


def mlp(params, x):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = relu(h)
    return h


def softmax_xent(logits, labels):
    top = logits.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    return float(np.mean(log_z - logits[np.arange(len(labels)), labels]))


def hit_rate(logits, labels):
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def conv_valid(images, kernel, bias):
    """relu(cross-correlation) of (B, H, W, C) images with an HWIO kernel, valid padding."""
    kh, kw = kernel.shape[:2]
    b, h, w, _ = images.shape
    out = np.empty((b, h - kh + 1, w - kw + 1, kernel.shape[3]))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            window = images[:, i:i + kh, j:j + kw, :]
            out[:, i, j, :] = np.einsum("bhwc,hwco->bo", window, kernel)
    return relu(out + bias)


def cnn_logits(params, x):
    h = conv_valid(x.reshape(-1, 8, 8, 1), params[0], params[1])
    h = conv_valid(h, params[2], params[3])
    return h.reshape(len(x), -1) @ params[4] + params[5]


def bce(x_hat, t):
    return float(np.mean(-(t * np.log(x_hat) + (1.0 - t) * np.log(1.0 - x_hat))))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def quadratic(hessian):
    def loss(params, x, y):
        d = params[0][None, :] - x
        return float(np.mean(0.5 * np.einsum("bi,ij,bj->b", d, hessian, d)))
    return loss


def oracles(problem):
    """(loss, metric) for `problem`, or KeyError for a problem with no oracle here."""
    if problem.name == "noisy-quadratic":
        loss = quadratic(np.asarray(problem.hessian, np.float64))
        return loss, loss
    return TABLE[problem.name]


def _mse(params, x, y):
    return float(np.mean((mlp(params, x)[:, 0] - y) ** 2))


TABLE = {
    "digits-mlp": (lambda p, x, y: softmax_xent(mlp(p, x), y),
                   lambda p, x, y: hit_rate(mlp(p, x), y)),
    "digits-cnn": (lambda p, x, y: softmax_xent(cnn_logits(p, x), y),
                   lambda p, x, y: hit_rate(cnn_logits(p, x), y)),
    "wine-logreg": (lambda p, x, y: softmax_xent(x @ p[0] + p[1], y),
                    lambda p, x, y: hit_rate(x @ p[0] + p[1], y)),
    "diabetes-mlp": (_mse, _mse),
    "digits-autoencoder": (lambda p, x, y: bce(sigmoid(mlp(p, x)), y),
                           lambda p, x, y: float(np.mean((sigmoid(mlp(p, x)) - y) ** 2))),
    "noisy-quadratic": None,
}
