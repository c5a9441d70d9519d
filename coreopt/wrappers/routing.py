"""Route: different optimizers (or hyperparameters) for groups of variables.

Rule: `Route(inner, rules)` steps each variable with the optimizer of the one
rule that selects it, where a rule `(selector, optimizer)` selects v when

    selector is a str (a regular expression):  re.search(selector, path(v))
    selector is an int n:                      rank(v) == n       (2: the matrices)
    selector is a callable:                    selector(v) is True (v a tf.Variable)

with `path(v)` the name of its `tf.Variable` without ":0" (a Keras variable's
path, as `DecoupledWeightDecay` reads it). A variable no rule selects goes to
`inner`, the default (`None`: there is none, and such a variable is an error).
Each optimizer steps only its own variables, with one call of its pure update
on their sub-list, and counts the steps it took. A variable's slots are the
default's under "inner", as for any wrapper, or `{"group": {label: that
group's slots}}`, so the pure step reads from the slots' structure alone which
optimizer steps which variable; the state is `{"iterations": ..., "inner":
the default's, "groups": {label: each group's}}`. A group's label is its
rule's position ("0", "1", ...) or, when `rules` is a dict `{label: (selector,
optimizer)}`, its key; "default" names `inner`.

Example:
    >>> import coreopt, tensorflow as tf
    >>> w, b = tf.Variable([[1.0]], name="dense/kernel"), tf.Variable([1.0], name="dense/bias")
    >>> opt = coreopt.Route(coreopt.GradientDescent(0.1), [("bias", coreopt.GradientDescent(0.5))])
    >>> opt.apply_gradients([tf.ones((1, 1)), tf.ones(1)], [w, b])
    >>> round(float(w.numpy()[0, 0]), 6), round(float(b.numpy()[0]), 6)
    (0.9, 0.5)

References:
    Keras 3's `MultiOptimizer` and `OptimizerMap`; optax's `multi_transform`
    and `partition`; torch.optim's parameter groups.

Notes:
    Keras's `OptimizerMap` full-matches its patterns (`re.fullmatch`); a Route
    searches them, as weight-decay exclusions do: write "^encoder/" for a
    prefix. Two rules selecting one variable, or none and no default, is a
    `ValueError` naming both, raised at build before any slot exists. Flat
    hyperparameter names: the default's bare, a group's "route.<label>.<name>";
    `learning_rate` (and the Keras adapter's learning-rate variable) is the
    default's. Configs hold the rules as `[[selector, optimizer config], ...]`
    (or a dict of them by label) and the default as "inner" (null when there
    is none); a callable rule has none (`TypeError`). The rules' parsing and
    checks are in `coreopt.wrappers.route_rules`, the selectors in
    `coreopt.core.selectors`, the flat hyperparameter names in
    `coreopt.wrappers.route_hyperparameters`. Not batchable: the batched lab traces nameless per-run
    tensors (the single-run engine works); for a tensor only rank rules apply.
    A loss-scaling wrapper goes around the Route, not inside a group.
"""

from __future__ import annotations

import inspect

import tensorflow as tf

from coreopt.core.optimizer import Optimizer
from coreopt.core.registry import register
from coreopt.core.selectors import variable_path
from coreopt.core.spec import Spec
from coreopt.core.variables import unwrap
from coreopt.wrappers import route_rules as rules_
from coreopt.wrappers.base import Wrapper
from coreopt.wrappers.route_hyperparameters import GroupHyperparameters
from coreopt.wrappers.route_rules import DEFAULT, nest, unnest

__all__ = ["Route"]


class _Table:
    """Plain Python data kept out of checkpoints: the selectors and each variable's label."""

    def __init__(self, selectors):
        self.selectors = selectors  # {label: Selector}
        self.of = {}  # variable ref -> label


@register("route", description="Different optimizers for groups of variables (pattern, rank, "
          "callable)", aliases=("partition", "multi_optimizer"))
class Route(GroupHyperparameters, Wrapper):
    """Steps each group of variables with its own optimizer; `inner` takes the rest.

    Args:
        inner: the default optimizer, or None (every variable must be selected).
        rules: `[(selector, optimizer), ...]` or `{label: (selector, optimizer)}`;
            a selector is a str pattern, an int rank or a callable; an optimizer
            may be a `get_config()` dict. Each group needs its own optimizer object.
        **group_hyperparameters: "label.name" values: the group's optimizer is
            rebuilt with them (how chain names and the lab give "route.<label>.<name>").
    """

    spec = Spec()
    batchable = False
    extra_arguments = ("rules",)  # a constructor argument outside the spec (not a spec kind)

    def __init__(self, inner=None, rules=(), *, name=None, **group_hyperparameters):
        if inner is not None and not isinstance(inner, Optimizer):
            raise TypeError(f"`inner` of Route must be a coreopt optimizer or None; received "
                            f"{type(inner).__name__}.")
        keyed, parsed = rules_.parse(rules)
        parsed = rules_.overridden(parsed, group_hyperparameters)
        groups = {**({DEFAULT: inner} if inner is not None else {}),
                  **{k: opt for k, (_, opt) in parsed.items()}}
        rules_.check_groups(groups, (Optimizer.scale_loss, Wrapper.scale_loss, Route.scale_loss))
        self.inner, self.groups, self._keyed = inner, groups, keyed
        self._table = _Table({k: sel for k, (sel, _) in parsed.items()})
        self._setup({}, name, all(opt.jit_compile for opt in groups.values()),
                    all(opt.half_in_float32 for opt in groups.values()))

    # -------------------------------------------------------------- routing
    def label_of(self, x) -> str:
        """The label of the group that steps `x` (a variable, or a tensor: rank rules only).

        Raises:
            ValueError: two rules select `x`, or none and there is no default.
        """
        x = unwrap(x)
        if isinstance(x, tf.Variable) and x.ref() in self._table.of:
            return self._table.of[x.ref()]
        hits = [k for k, sel in self._table.selectors.items() if sel.selects(x)]
        path = variable_path(x)
        what = f"variable {path!r}" if path else f"a tensor of shape {x.shape}"
        if len(hits) > 1:
            raise ValueError(f"Route: {what} is selected by {len(hits)} rules, "
                             f"{self._describe(hits)}; a variable must be selected by one only.")
        if not hits and DEFAULT not in self.groups:
            raise ValueError(f"Route: no rule selects {what} and there is no default optimizer "
                             f"(`inner`); rules: {self._describe(self._table.selectors)}.")
        return hits[0] if hits else DEFAULT

    def _describe(self, labels) -> str:
        return ", ".join(f"{k!r} ({self._table.selectors[k]})" for k in labels)

    def build(self, variables):
        variables = [unwrap(v) for v in variables]
        known = self._table.of
        if all(isinstance(v, tf.Variable) and v.ref() in known for v in variables):
            return  # every step after the first
        for i, var in enumerate(variables):
            if not isinstance(var, tf.Variable) or not var.dtype.is_floating:
                raise TypeError(f"`vars[{i}]` must be a float tf.Variable or Keras variable; "
                                f"received {getattr(var, 'dtype', type(var).__name__)!r}.")
        known.update({v.ref(): self.label_of(v) for v in variables if v.ref() not in known})
        # every variable is routed (or an error was raised): only now do the groups build
        for label, opt in self.groups.items():
            mine = [v for v in variables if known[v.ref()] == label]
            if mine:
                opt.build(mine)
        Optimizer.build(self, variables)

    # ---------------------------------------------------------------- state
    def init_slots(self, x) -> dict:
        label = self.label_of(x)
        return nest(label, self.groups[label].init_slots(x))

    def init_state(self) -> dict:
        return self._state(Optimizer.init_state(self), lambda opt: opt.init_state())

    def slot_variables(self, variable) -> dict:
        Optimizer.slot_variables(self, variable)  # KeyError when never built
        label = self._table.of[unwrap(variable).ref()]
        return nest(label, self.groups[label].slot_variables(variable))

    def state_variables(self) -> dict:
        return self._state({"iterations": self.iterations}, lambda opt: opt.state_variables())

    def _state(self, own, of) -> dict:
        inner = {} if self.inner is None else {"inner": of(self.inner)}
        return {**own, **inner,
                "groups": {k: of(opt) for k, opt in self.groups.items() if k != DEFAULT}}

    def get_slot(self, variable, name: str):
        Optimizer.slot_variables(self, variable)  # KeyError when never built
        return self.groups[self._table.of[unwrap(variable).ref()]].get_slot(variable, name)

    # ------------------------------------------------------------------ step
    def _by_group(self, grads, variables):
        """(group label, optimizer, its gradients, its variables) for each group used."""
        for label, opt in self.groups.items():
            mine = [(g, v) for g, v in zip(grads, variables) if self.label_of(v) == label]
            if mine:
                yield label, opt, [g for g, _ in mine], [v for _, v in mine]

    def check_gradients(self, grads, variables):
        for _, opt, g, v in self._by_group(grads, variables):
            opt.check_gradients(g, v)

    def applied_finite(self, grads, variables, state):
        return tf.reduce_all(tf.stack([tf.constant(True), *(
            opt.applied_finite(g, v, state["inner"] if label == DEFAULT else state["groups"][label])
            for label, opt, g, v in self._by_group(grads, variables))]))

    def stands_still(self, state):
        return tf.reduce_all(tf.stack([
            opt.stands_still(state["inner"] if label == DEFAULT else state["groups"][label])
            for label, opt in self.groups.items()]))

    def update(self, grads, params, slots, state, grad_fn=None):
        labels = [rules_.label_in(s) for s in slots]
        start, params, slots = list(params), list(params), list(slots)
        new_state = {**self.count(state), "groups": dict(state["groups"])}
        for label, opt in self.groups.items():
            idx = [i for i, k in enumerate(labels) if k == label]
            if not idx:
                continue  # a group with no variable this step takes no step
            sub_fn = None if grad_fn is None else rules_.restricted(grad_fn, start, idx)
            new_p, new_s, own = opt.update(
                [grads[i] for i in idx], [start[i] for i in idx],
                [unnest(slots[i], label) for i in idx], unnest(state, label, "groups"), sub_fn)
            if label == DEFAULT:
                new_state["inner"] = own
            else:
                new_state["groups"][label] = own
            for i, p, s in zip(idx, new_p, new_s):
                params[i], slots[i] = p, nest(label, s)
        return params, slots, new_state

    @property
    def chain_needs_closure(self) -> bool:
        return any(opt.chain_needs_closure for opt in self.groups.values())

    def scale_loss(self, loss):
        return loss  # no group scales the loss (checked when made)

    # ------------------------------------------------------------- reporting
    def own_config(self) -> dict:
        rules = {k: [sel.config(), self.groups[k].get_config()]
                 for k, sel in self._table.selectors.items()}
        return {"rules": rules if self._keyed else list(rules.values())}

    @property
    def chain_name(self) -> str:
        return f"{self.prefix}:{self.inner.chain_name}" if self.inner else self.prefix

    def __repr__(self):
        pairs = {k: f"({sel}, {self.groups[k]!r})" for k, sel in self._table.selectors.items()}
        shown = (f"{{{', '.join(f'{k!r}: {v}' for k, v in pairs.items())}}}" if self._keyed
                 else f"[{', '.join(pairs.values())}]")
        return f"Route({self.inner!r}, rules={shown})"


Route.__signature__ = inspect.Signature([  # without the catch-all that names unknown keywords
    inspect.Parameter("inner", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
    inspect.Parameter("rules", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=()),
    inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None)])
