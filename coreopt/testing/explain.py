"""The explainer of `verify()`: which convention option matches, or which quantity parts.

**Option search.** A coreopt optimizer declares its conventions as static options
(`option(...)` in its `Spec`: Adam's `epsilon_hat`, RMSprop's
`epsilon_inside_sqrt`, ...). When the candidate differs from a coreopt
reference, the reference is run again with its options changed, fewest
changes first (one, then two, then three; a bool is flipped, an option with
`choices` takes each other choice, other ints and strings are left), and with
two more changes: the learning rate rounded to float32 (Keras keeps it in a
float32 variable), and the other numeric hyperparameters rounded to float32.
At most `max_runs` runs (64); a run stops at the first step that parts. The
search runs in the most precise dtype compared (float64 by default), where a
convention shows: epsilon's placement moves Adam's step by about
epsilon / sqrt(v), 1e-7 relative. The smallest set of changes whose run stays
within the tolerance at every step is reported, with each option's meaning:
its `Hyper.doc`, else its entry in the Args section of the optimizer's docstring.

**Which quantity parts.** The candidate's state is every float tensor it holds
besides the parameters (attributes, lists and dicts of `tf.Variable`s or
tensors, nested `tf.Module`s). Each of the reference's slots ("m", "v", ...)
of each variable is paired with the candidate tensor of that variable's shape
that agrees with it on most steps up to the parting (then the most parallel).
At the first step where the parameters or a slot exceed the tolerance, the
inputs of that step were still equal, so what parts there is the cause: a
moment ("the first moment (m) parts at step 1"), or, with the state agreeing,
the update itself.

Example:
    >>> import coreopt
    >>> from coreopt.testing.explain import option_doc
    >>> option_doc(coreopt.Adam, "epsilon_hat")
    "add epsilon before the bias correction (Keras's form)."
"""

from __future__ import annotations

import inspect
import itertools
import types

import numpy as np
import tensorflow as tf

from coreopt.core.variables import unwrap
from coreopt.testing.diff import shape_text

# The search's names for its float32 changes: the learning rate (Keras keeps it in a float32
# variable), and the other numeric hyperparameters (Keras casts some through float32).
LR32, FLOAT32 = "learning_rate in float32", "float32 hyperparameters"
ROUNDINGS = (LR32, FLOAT32)
WORDS = {"m": "first moment", "v": "second moment", "v_max": "running maximum of v",
         "buffer": "momentum buffer", "g_avg": "gradient average", "momentum": "momentum"}


# ------------------------------------------------------------------ reading state
def read_state(opt, params) -> dict:
    """An optimizer's state after a step, as NumPy arrays: a coreopt optimizer's slots
    {(slot path, variable index): array}, anything else's float tensors {path: array}."""
    import coreopt

    if isinstance(opt, coreopt.Optimizer):
        out = {}
        for i, var in enumerate(params):
            for path, slot in _flat(opt.slot_variables(var)):
                out[path, i] = slot.numpy()
        return out
    out, shapes = {}, {tuple(v.shape) for v in params}
    _walk(opt, "self", out, {id(v) for v in params}, set(), shapes, 0)
    return out


def _flat(tree, prefix=""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}/")
        else:
            yield f"{prefix}{key}", value


_FLOATS = (tf.float16, tf.bfloat16, tf.float32, tf.float64)


def _walk(obj, path, out, params, seen, shapes, depth):
    """Float tensors of the parameters' shapes under `obj` into `out`, by attribute path
    (TensorFlow's tracking bookkeeping, `_self_*`, is not followed)."""
    x = unwrap(obj)
    if id(x) in seen or id(x) in params or depth > 5:
        return
    seen.add(id(x))
    if isinstance(x, (tf.Variable, tf.Tensor, np.ndarray)):
        if tf.as_dtype(x.dtype) in _FLOATS and tuple(x.shape) in shapes:
            out[path] = np.array(x)
        return
    if isinstance(obj, dict):
        items = [(f"{path}[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple)):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
    elif depth == 0 or isinstance(obj, (tf.Module, types.SimpleNamespace)):
        items = [(f"{path}.{k}", v) for k, v in vars(obj).items() if not k.startswith("_self_")]
    else:
        return
    for where, value in items:
        _walk(value, where, out, params, seen, shapes, depth + 1)


# --------------------------------------------------------------- option meanings
def option_doc(cls, name: str) -> str:
    """What option `name` of `cls` means: `Hyper.doc`, else its docstring's Args entry."""
    hyper = cls.spec.by_name.get(name)
    if hyper is not None and hyper.doc:
        return hyper.doc
    for klass in cls.__mro__:
        found = _args_entry(klass.__dict__.get("__doc__") or "", name)
        if found:
            return found
    return ""


def _args_entry(doc: str, name: str) -> str:
    lines = inspect.cleandoc(doc).splitlines()
    if "Args:" not in [s.strip() for s in lines]:
        return ""
    start = [s.strip() for s in lines].index("Args:") + 1
    entry, indent = None, None
    for line in lines[start:]:
        if not line.strip():
            break
        depth = len(line) - len(line.lstrip())
        indent = depth if indent is None else indent
        if depth < indent:
            break
        if depth == indent:
            if entry is not None:
                break
            head, _, text = line.strip().partition(":")
            if name in [n.strip() for n in head.split(",")]:
                entry = [text.strip()]
        elif entry is not None:
            entry.append(line.strip())
    return " ".join(entry) if entry else ""


# ------------------------------------------------------------------ the search
def choices(ref) -> list:
    """[(flat option name, [other values])] of a coreopt reference, and the float32 change."""
    import coreopt

    flat, out = ref.make().flat_config(), []
    last = len(ref.spec.parts) - 1
    for i, (part, _) in enumerate(ref.spec.parts):
        for hyper in coreopt.entry(part).spec:
            key = hyper.name if i == last else f"{part}.{hyper.name}"
            if hyper.numeric or key not in flat:
                continue
            if hyper.kind is bool:
                out.append((key, [not flat[key]]))
            elif hyper.choices:
                out.append((key, [c for c in hyper.choices if c != flat[key]]))
    rounded = {k: float(np.float32(v)) for k, v in flat.items()
               if isinstance(v, float) and np.isfinite(v) and float(np.float32(v)) != v}
    for name, keys in ((LR32, [k for k in rounded if k == "learning_rate"]),
                       (FLOAT32, [k for k in rounded if k != "learning_rate"])):
        if keys:
            out.append((name, [{k: rounded[k] for k in keys}]))
    return out


def combinations(options, most: int = 3):
    """Each set of changes {name: value}, fewest first (then in the spec's order)."""
    for size in range(1, min(most, len(options)) + 1):
        for chosen in itertools.combinations(options, size):
            for picked in itertools.product(*(alts for _, alts in chosen)):
                yield {name: value for (name, _), value in zip(chosen, picked)}


def build(ref, changes: dict):
    """The reference with `changes` (XLA off: it is run once, so compiling would dominate)."""
    from coreopt.core import chains

    flat = {**ref.spec.flat(), **{k: v for k, v in changes.items() if k not in ROUNDINGS}}
    for name in ROUNDINGS:
        flat.update(changes.get(name, {}))
    try:
        return chains.build(ref.spec.chain, {**flat, "jit_compile": False})
    except TypeError:
        return chains.build(ref.spec.chain, flat)


def attempt(opt, problem, cand, rtol: float):
    """(the steps within `rtol` of the candidate's trace, the error curve); stops at a parting.

    The steps are the optimizer's pure `update` on tensors, eagerly (no tracing: a run
    takes milliseconds); an optimizer that needs the loss steps through `minimize`."""
    from coreopt.testing.verification import relative_error

    if opt.chain_needs_closure:
        return _attempt_minimize(opt, problem, cand, rtol)
    params = [tf.convert_to_tensor(v) for v in problem.variables]
    slots, state = [opt.init_slots(x) for x in params], opt.init_state()
    curve = []
    for t in range(cand.taken):
        params, slots, state = opt.update(problem.grads(params, t), params, slots, state)
        curve.append(relative_error(cand.params[t + 1], [x.numpy() for x in params]))
        if not curve[-1] <= rtol:
            return t, curve
    return cand.taken, curve


def _attempt_minimize(opt, problem, cand, rtol: float):
    from coreopt.testing.verification import relative_error

    curve = []
    for t in range(cand.taken):
        problem.set(t)
        opt.minimize(problem.loss_fn, problem.variables)
        curve.append(relative_error(cand.params[t + 1], [v.numpy() for v in problem.variables]))
        if not curve[-1] <= rtol:
            return t, curve
    return cand.taken, curve


def search(ref, problem_maker, cand, rtol: float, max_runs: int = 64) -> dict:
    """The smallest sets of option changes with which the reference matches `cand`."""
    options = choices(ref)
    record = {"options": [name for name, _ in options], "tried": 0, "matches": []}
    best, size = None, None
    for changes in combinations(options):
        if size is not None and len(changes) > size or record["tried"] >= max_runs:
            break
        try:
            opt = build(ref, changes)
        except (TypeError, ValueError):
            continue  # an invalid combination (an option that needs another)
        record["tried"] += 1
        held, curve = attempt(opt, problem_maker(), cand, rtol)
        if held == cand.taken:
            size = len(changes)
            record["matches"].append(changes)
            record.setdefault("curve", curve)
        elif best is None or (held, -curve[-1]) > (best[0], -best[2]):
            best = (held, changes, curve[-1])
    if best is not None and not record["matches"]:
        record["closest"] = {"changes": best[1], "parts_at": best[0] + 1, "error": best[2]}
    return record


def describe(ref, changes: dict) -> str:
    """"adam(epsilon_hat=True)" for the reference with `changes`."""
    text = ref.spec.text({k: v for k, v in changes.items() if k not in ROUNDINGS})
    rounded = [n for n in ("its learning rate", "its other hyperparameters")
               if (LR32 if "learning" in n else FLOAT32) in changes]
    return text + (f" with {' and '.join(rounded)} rounded to float32" if rounded else "")


def meaning(ref, key: str, value) -> str:
    """"epsilon_hat: add epsilon before ..." (the option's doc), or what a rounding did."""
    import coreopt

    if key in ROUNDINGS:
        shown = ", ".join(f"{k} {v:.10g}" for k, v in value.items())
        it = "it" if len(value) == 1 else "them"
        return f"{', '.join(value)} rounded to float32 ({shown}), as Keras keeps {it}"
    part, _, name = key.rpartition(".")
    doc = option_doc(coreopt.entry(part or ref.spec.parts[-1][0]).cls, name)
    return f"{key}: {doc.rstrip('.')}" if doc else f"{key}={value!r}"


# ------------------------------------------------------------ which quantity parts
def _agreeing(a_steps, b_steps, rtol):
    from coreopt.testing.verification import relative_error

    agree = sum(relative_error([a], [b]) <= rtol for a, b in zip(a_steps, b_steps))
    a, b = np.concatenate([x.ravel() for x in a_steps]), np.concatenate(
        [x.ravel() for x in b_steps])
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return agree, (float(a @ b) / norm if norm and np.isfinite(norm) else 0.0)


def pair(cand, ref, upto: int, rtol: float) -> dict:
    """{(slot, variable index): candidate path}: each reference slot's best candidate tensor."""
    steps = range(min(upto, cand.taken, ref.taken))
    keys = [k for k in ref.state[0] if isinstance(k, tuple)] if ref.state else []
    paths = [p for p in (cand.state[0] if cand.state else {})
             if all(p in cand.state[t] for t in steps)]
    scored = []
    for key in keys:
        ref_steps = [ref.state[t][key] for t in steps]
        for path in paths:
            if cand.state[0][path].shape == ref_steps[0].shape:
                score = _agreeing([cand.state[t][path] for t in steps], ref_steps, rtol)
                scored.append((score, key, path))
    mapping, used = {}, set()
    for _, key, path in sorted(scored, key=lambda s: s[0], reverse=True):
        if key not in mapping and (key[1], path) not in used:
            mapping[key] = path
            used.add((key[1], path))
    return mapping


def parting(cand, ref, names, first_step: int, rtol: float) -> dict:
    """Which quantity parts first (see the module docstring), with the sentence."""
    from coreopt.testing.verification import relative_error, worst

    mapping = pair(cand, ref, first_step, rtol)
    slots = sorted({k[0] for k in ref.state[0]}) if ref.state else []
    out = {"mapping": {f"{s}[{names[i]}]": p for (s, i), p in mapping.items()}}
    if not slots:
        out.update(step=first_step, parts=[], agrees=[], unpaired=[])
        out["sentence"] = f"The reference keeps no state: the update parts at step {first_step}."
        return out
    if not mapping:
        out["sentence"] = (
            "Which quantity parts first cannot be told: the candidate holds no tensor besides "
            "its parameters that pairs with the reference's slots"
            + f" ({', '.join(slots)}).")
        return out
    for t in range(first_step):
        parted, agreed = [], []
        for slot in slots:
            keys = [k for k in mapping if k[0] == slot]
            if not keys:
                continue
            c = [cand.state[t][mapping[k]] for k in keys]
            r = [ref.state[t][k] for k in keys]
            (parted if not relative_error(c, r) <= rtol else agreed).append((slot, keys, c, r))
        if parted or t + 1 == first_step:
            break
    out.update(step=t + 1, parts=[p[0] for p in parted], agrees=[a[0] for a in agreed],
               unpaired=[s for s in slots if not any(k[0] == s for k in mapping)])
    out["sentence"] = _parting_words(out, parted, agreed, names, first_step, worst)
    return out


def _quantity(slot: str) -> str:
    word = WORDS.get(slot.rsplit("/", 1)[-1])
    return f"the {word} ({slot})" if word else f"the slot {slot!r}"


def _parting_words(out, parted, agreed, names, first_step, worst) -> str:
    t = out["step"]
    agree = " and ".join(_quantity(a[0]) for a in agreed)
    if parted:
        slot, keys, c, r = parted[0]
        w = worst(c, r, [names[k[1]] for k in keys])
        text = (f"{_quantity(slot)[0].upper()}{_quantity(slot)[1:]} parts first, at step {t} "
                f"(variable '{w['variable']}' {shape_text(w['shape'])}, index "
                f"{tuple(w['index'])}): candidate {w['candidate']:.6g}, reference "
                f"{w['reference']:.6g}")
        more = [_quantity(p[0]) for p in parted[1:]]
        text += f"; {' and '.join(more)} part{'s' if len(more) == 1 else ''} there too" \
            if more else ""
        text += f"; {agree} agree{'s' if len(agreed) == 1 else ''} there" if agreed else ""
        return text + ("." if t == first_step else f"; the parameters part at step {first_step}.")
    text = f"The state agrees at step {t} ({agree}); the update parts there"
    unpaired = out["unpaired"]
    return text + (f" (no candidate tensor pairs with {', '.join(unpaired)})." if unpaired
                   else ".")


# -------------------------------------------------------------------- explain
def explain(diff, cand, ref, traces, problems, names, max_runs: int = 64) -> dict:
    """The explainer's record for `diff` (options that match, else which quantity parts)."""
    dtype = max(diff.first, key=lambda d: (d == "float64", d == "float32"))
    cand_trace, ref_trace = traces["candidate", dtype], traces["reference", dtype]
    record, rtol = {"dtype": dtype}, diff.rtol[dtype]
    if ref.spec is None or ref.library != "coreopt":
        record["sentence"] = (f"(The explainer searches the options of coreopt references; "
                              f"{ref.name} is a {ref.library} optimizer.)")
        return record
    record.update(search(ref, problems[dtype], cand_trace, rtol, max_runs))
    matches = record["matches"]
    if matches:
        also = [describe(ref, m) for m in matches[1:]]
        record["match"] = describe(ref, matches[0])
        record["sentence"] = (
            f"In {dtype} it matches {describe(ref, matches[0])}: "
            + "; ".join(meaning(ref, k, v) for k, v in matches[0].items()) + "."
            + (f" (Also matches: {', '.join(also)}.)" if also else ""))
        return record
    names_searched = ", ".join(o for o in record["options"]) or "none"
    closest = record.get("closest")
    text = (f"No option of {ref.spec.chain} explains it (searched: {names_searched}; "
            f"{record['tried']} run{'' if record['tried'] == 1 else 's'})")
    if closest and closest["parts_at"] > 1:
        text += (f"; the closest, {describe(ref, closest['changes'])}, parts at step "
                 f"{closest['parts_at']}")
    quantities = parting(cand_trace, ref_trace, names, diff.first[dtype]["step"], rtol)
    record["quantities"] = quantities
    record["sentence"] = f"{text}. {quantities['sentence']}"
    return record

