"""Framework presets: each framework's own optimizer, reproduced bit for bit.

One module per framework (``adamkit.presets.pytorch``, ``.optax``, ``.caffe``, ...) holds
everything about it side by side: a :class:`Preset` per optimizer (its published defaults,
its own hyper-parameter names, its names for the optimizer state), the ``rule(hp)``
function that says which exact per-element operation sequence runs (ops rows of
``adam_c.h``) for those hyper-parameters, the scalar recipes that compute each step's
scalars in the framework's own arithmetic, and the conventions of its recordings.

Use a preset through the optimizer objects::

    adamkit.Adam(preset="caffe", base_lr=0.001, momentum=0.9)
    adamkit.RMSProp(preset="torch7", learningRate=1e-2)

adamkit's own names (``lr``, ``betas``, ``eps``, ``weight_decay``, ...) are accepted too,
mapped to the framework's. :func:`available` lists the (framework, optimizer) pairs;
``conformance/notes/`` records, per framework, the operation sequence and the evidence.
"""

import inspect

from . import (
    blocks,
    caffe,
    chainer,
    keras,
    keras2,
    keras_adamw,
    lasagne,
    mxnet,
    optax,
    pytorch,
    tensorflow,
    textbook,
    tf_keras,
    torch7,
)
from ._context import Detect
from ._preset import Preset, PresetError, Setting

__all__ = ["PRESETS", "ALIASES", "Preset", "PresetError", "Setting", "UnknownPreset",
           "available", "build", "get", "for_recording", "from_framework"]

MODULES = (blocks, caffe, chainer, keras, keras2, keras_adamw, lasagne, mxnet, optax, pytorch,
           tensorflow, textbook, tf_keras, torch7)

#: (framework, optimizer) -> Preset, for every framework module.
PRESETS = {(p.framework, p.optimizer): p for mod in MODULES for p in mod.PRESETS}

#: Short names: the framework as most people run it.
ALIASES = {"keras": "keras_tensorflow", "lasagne": "lasagne_master", "tf": "tensorflow",
           "torch": "pytorch"}


_FRAMEWORKS = frozenset({f for f, _ in PRESETS} | set(ALIASES))
#: (framework, optimizer, keyword) -> its Spec (Preset.spec, resolved once)
_SPECS = {}


class UnknownPreset(ValueError, KeyError):
    """No preset for that framework/optimizer (a ValueError; also a KeyError)."""

    def __str__(self):
        return str(self.args[0])


def available():
    """The (framework, optimizer) pairs with a preset, sorted."""
    return sorted(PRESETS)


def get(framework, optimizer):
    """The :class:`Preset` for ``framework`` and ``optimizer``; KeyError lists the choices."""
    framework = ALIASES.get(framework, framework)
    try:
        return PRESETS[(framework, optimizer)]
    except KeyError:
        have = sorted(o for f, o in PRESETS if f == framework)
        if not have:
            raise UnknownPreset(f"no preset for framework {framework!r}; available: "
                                f"{sorted({f for f, _ in PRESETS} | set(ALIASES))}") from None
        raise UnknownPreset(f"{framework} has no {optimizer!r} preset; it has {have}") from None


def for_recording(meta):
    """The Preset that replays a recording, and its hyper-parameters under the framework's
    names, from the recording's metadata (``conformance/trajectory.py``)."""
    framework, optimizer = meta["framework"], meta["optimizer"]
    if framework == "tf_keras" and tf_keras.legacy(meta):
        framework = "tf_keras_legacy"
    row = get(framework, optimizer)
    hp = dict(meta.get("hyperparameters_effective") or meta.get("hyperparameters") or {})
    if row.from_recording is not None:
        hp = row.from_recording(hp, meta)
    for key in row.meta_keys:          # options recorded outside the hyper-parameters
        if key in meta:
            hp[key] = meta[key]
    for key, default in row.defaults.items():   # the code path the framework took there
        if isinstance(default, Detect) and key not in hp:
            value = default.from_meta(meta)
            if value is not None:
                hp[key] = value
    return row, hp


def context(row, hp):
    """The values of the CPU-dependent options of ``hp`` (for reports)."""
    return {k: hp[k] for k, v in row.defaults.items() if isinstance(v, Detect) and k in hp}


def host_context():
    """What each CPU-dependent option is on this machine, as the frameworks detect it."""
    out = {}
    for row in PRESETS.values():
        for key, default in row.defaults.items():
            if isinstance(default, Detect):
                name = key if key != "openblas_core" else f"{key}({row.framework})"
                out.setdefault(name, default.detect())
    return dict(sorted(out.items()))


_OPTIMIZER_OF_CLASS = {"Adam": "adam", "AdamW": "adamw", "AdaMax": "adamax",
                       "RMSProp": "rmsprop"}
#: the optimizer classes' switches: accepted only where the framework has the option
_FLAGS = ("amsgrad", "nesterov", "maximize", "decoupled_weight_decay", "centered")


def _optimizer_name(framework, cls_name, given):
    """The preset for an optimizer class and its flags: Adam(amsgrad=True) is the
    framework's "amsgrad" preset where it has one, else its "adam" preset with
    amsgrad=True."""
    name = _OPTIMIZER_OF_CLASS[cls_name]
    for flag, row in (("amsgrad", "amsgrad"), ("nesterov", "nadam")):
        if name == "adam" and given.get(flag) and (framework, row) in PRESETS:
            given.pop(flag)
            name = row
    return name


def resolve(preset, cls_name, given):
    """The :class:`Preset` that ``Adam(preset=...)`` etc. (``cls_name``) runs for the
    keywords ``given``, and those keywords without the switches that chose it (e.g.
    ``amsgrad=True`` when it names the framework's "amsgrad" preset)."""
    if not isinstance(preset, str):
        raise TypeError(f"preset must be a string such as 'pytorch' or 'caffe.adam', "
                        f"got {type(preset).__name__}")
    given = dict(given)
    framework, _, opt = (preset, "", "") if preset in _FRAMEWORKS else preset.rpartition(".")
    framework = ALIASES.get(framework or preset, framework or preset)
    optimizer = opt or _optimizer_name(framework, cls_name, given)
    return get(framework, optimizer), given


def build(preset, cls_name, given):
    """Resolve ``Adam(preset=...)`` etc.: return ``(rule, hyperparameters, lr,
    initial_state)``.

    ``given`` holds the keywords the user passed, under adamkit's or the framework's names.
    """
    row, given = resolve(preset, cls_name, given)
    framework, optimizer = row.framework, row.optimizer
    hp = dict(row.defaults)
    given_as = {}                     # framework keyword -> the adamkit name it was given as
    for key, value in given.items():
        if key == "portable" and key not in hp:
            continue                  # every preset takes it; only estimating ones use it
        if key in _FLAGS and key not in hp:
            raise TypeError(f"{key}= is not an option of the {framework} {optimizer} preset")
        target = row.aliases.get(key, key)
        if isinstance(target, tuple):
            if not isinstance(value, (tuple, list)) or len(value) != len(target):
                raise TypeError(f"{key} must be a pair")
            for name, v in zip(target, value):
                hp[name] = v
                given_as[name] = key
        elif target in hp or target in row.ignored:
            hp[target] = value
            if target != key:
                given_as[target] = key
        else:
            raise TypeError(f"unknown keyword {key!r} for the {framework} {optimizer} preset; "
                            f"it takes {sorted(hp)} (or adamkit's {sorted(row.aliases)})")
    for name in row.required:
        if hp.get(name) is None:
            raise TypeError(f"the {framework} {optimizer} preset needs {name}= "
                            "(the framework has no default)")
    for name in row.ignored:
        hp.pop(name, None)
    for name in row.only_default:
        if not _same(hp[name], row.defaults[name]):
            raise row.refuse(f"{name}={hp[name]!r} is not reproduced; only the framework's "
                             f"default {row.defaults[name]!r} is")
    for name, value in hp.items():        # what the framework detects on this machine
        if isinstance(value, Detect):
            hp[name] = value.detect()
    _check_values(hp, row, given_as)
    lr = hp[row.lr_name]
    if not callable(lr):
        lr = float(lr)
    initial = hp.get(row.initial_state) or 0.0 if row.initial_state else 0.0
    try:
        rule = row.make_rule(hp)
    except PresetError:
        raise
    except ValueError as e:             # a rule's own check: name the preset
        raise row.refuse(str(e)) from None
    return rule, hp, lr, float(initial)


def _same(a, b):
    """Equal as configuration values (a tuple and a list of the same numbers are)."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return a is b or (type(a) is type(b) and a == b)
    try:
        return bool(a == b)
    except Exception:
        return False


#: the top-level module of a framework's objects -> the preset modules that read them
_OBJECT_MODULES = {"torch": (pytorch,), "tensorflow": (tensorflow,), "keras": (keras, keras2),
                   "tf_keras": (tf_keras,), "keras_adamw": (keras_adamw,),
                   "mxnet": (mxnet,), "chainer": (chainer,), "optax": (optax,)}


def from_framework(obj, setting):
    """The (framework, optimizer, hyper-parameters) of the preset that reproduces the
    framework's optimizer object ``obj`` (or constructor, for optax), run as ``setting``
    (:class:`Setting`) says. Each framework module's ``from_framework`` reads its own
    objects; an object it cannot place raises with the question to answer."""
    where = obj.__module__ if inspect.isfunction(obj) else type(obj).__module__
    root = (where or "").split(".")[0]
    for module in _OBJECT_MODULES.get(root, ()):
        found = module.from_framework(obj, setting)
        if found is not None:
            return found
    raise TypeError(f"{type(obj).__module__}.{type(obj).__qualname__} is not a framework "
                    f"optimizer adamkit reads; it reads objects of {sorted(_OBJECT_MODULES)}")


def _check_values(hp, row, given_as=None):
    """Check every keyword's value against its :class:`~._preset.Spec` (the validation
    table: ``Preset.spec``); raise TypeError or ValueError naming the framework, the
    preset and the keyword (and the adamkit name it was given as) before anything else
    uses them. Keywords reproduced at their default only are checked by ``build``."""
    for name, value in hp.items():
        if name in row.only_default:
            continue
        key = (row.framework, row.optimizer, name)
        spec = _SPECS.get(key)
        if spec is None:
            spec = _SPECS.setdefault(key, row.spec(name))
        if spec is None:
            raise AssertionError(f"{row.name}: no spec for keyword {name!r} (add it to the "
                                 "preset's checks)")
        if name == row.lr_name and callable(value):
            continue                     # a schedule: checked at each step
        alias = (given_as or {}).get(name)
        where = f"{row.framework} {row.optimizer}: {name}"
        spec.check(where + (f" (given as {alias}=)" if alias else ""), value)
