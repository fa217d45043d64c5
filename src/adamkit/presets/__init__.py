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

import math
import numbers

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
from ._preset import Preset, PresetError

__all__ = ["PRESETS", "ALIASES", "Preset", "PresetError", "UnknownPreset", "available",
           "build", "get", "for_recording"]

MODULES = (blocks, caffe, chainer, keras, keras2, keras_adamw, lasagne, mxnet, optax, pytorch,
           tensorflow, textbook, tf_keras, torch7)

#: (framework, optimizer) -> Preset, for every framework module.
PRESETS = {(p.framework, p.optimizer): p for mod in MODULES for p in mod.PRESETS}

#: Short names: the framework as most people run it.
ALIASES = {"keras": "keras_tensorflow", "lasagne": "lasagne_master", "tf": "tensorflow",
           "torch": "pytorch"}


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
    frameworks = {f for f, _ in PRESETS} | set(ALIASES)
    framework, _, opt = (preset, "", "") if preset in frameworks else preset.rpartition(".")
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
        elif target in hp or target in row.ignored:
            hp[target] = value
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
    _check_values(hp, row)
    lr = hp[row.lr_name]
    if not callable(lr):
        lr = _real(f"{framework} {optimizer}: {row.lr_name}", lr, 0.0)
    initial = hp.get(row.initial_state) or 0.0 if row.initial_state else 0.0
    return row.make_rule(hp), hp, lr, float(initial)


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


def _real(name, value, lo):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < lo:
        raise ValueError(f"{name} must be finite and >= {lo}, got {value}")
    return value


def _check_values(hp, row):
    betas = row.aliases.get("betas", ())
    betas = set(betas) | ({row.aliases["alpha"]} if "alpha" in row.aliases else set())
    for name, value in hp.items():
        if name in betas:
            v = _real(f"{row.framework} {row.optimizer}: {name}", value, 0.0)
            if v >= 1.0:
                raise ValueError(f"{row.framework} {row.optimizer}: {name} must be < 1, "
                                 f"got {v}")
        elif name in ("delta", "epsilon", "weight_decay", "weightDecay", "learningRateDecay",
                      "max_scaling", "momentum") and value is not None:
            _real(f"{row.framework} {row.optimizer}: {name}", value, 0.0)
