"""The flat hyperparameters of a `Route`: the default's bare, a group's "route.<label>.<name>".

A mixin of `coreopt.wrappers.routing.Route` (it reads `groups`, `inner` and
`prefix`): `hyperparameters(state)`, `hyperparameter_names()`, `options()`,
`flat_config()` and `with_hyperparameters(values)` over every group, and the
`learning_rate` of the default optimizer (a Route without one has none, a
`TypeError` that says to use the groups' own).

Example:
    >>> import coreopt
    >>> opt = coreopt.Route(coreopt.Adam(), {"bias": ("bias", coreopt.GradientDescent(0.5))})
    >>> [k for k in opt.hyperparameter_names() if "learning_rate" in k]
    ['learning_rate', 'route.bias.learning_rate']
"""

from __future__ import annotations

import contextlib

from coreopt.wrappers.route_rules import DEFAULT, unnest

__all__ = ["GroupHyperparameters"]


class GroupHyperparameters:
    """Flat hyperparameter names over a Route's groups (see the module docstring)."""

    @property
    def learning_rate(self):
        return self._default("learning_rate").learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._default("learning_rate").learning_rate = value

    def learning_rate_at(self, state):
        return self._default("learning_rate").learning_rate_at(state["inner"])

    def _default(self, what):
        if self.inner is None:
            raise TypeError(f"this Route has no default optimizer, so no single `{what}`; use "
                            "its groups' own: `route.groups[label]`.")
        return self.inner

    def _flat(self, method) -> dict:
        return {("" if k == DEFAULT else f"{self.prefix}.{k}.") + name: value
                for k, opt in self.groups.items() for name, value in method(opt).items()}

    def hyperparameters(self, state) -> dict:
        return {("" if k == DEFAULT else f"{self.prefix}.{k}.") + name: value
                for k, opt in self.groups.items()
                for name, value in opt.hyperparameters(unnest(state, k, "groups")).items()}

    def hyperparameter_names(self) -> tuple[str, ...]:
        return tuple(self._flat(lambda opt: dict.fromkeys(opt.hyperparameter_names())))

    def options(self) -> dict:
        return self._flat(lambda opt: opt.options())

    def flat_config(self) -> dict:
        return self._flat(lambda opt: opt.flat_config())

    @contextlib.contextmanager
    def with_hyperparameters(self, values: dict):
        split = {}
        for key, value in values.items():
            head, _, rest = key.partition(".")
            label, _, name = rest.partition(".")
            if head == self.prefix and label in self.groups and label != DEFAULT and name:
                split.setdefault(label, {})[name] = value
            else:
                self._default(key)
                split.setdefault(DEFAULT, {})[key] = value
        with contextlib.ExitStack() as stack:
            for label, group_values in split.items():
                stack.enter_context(self.groups[label].with_hyperparameters(group_values))
            yield
