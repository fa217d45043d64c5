"""What ``adamkit.torch`` and ``adamkit.optax`` share: a preset's keywords as a framework's
optimizer takes them, and the adamkit optimizer built from them.

An :class:`Spec` is made once per framework-facing optimizer from ``preset=`` and the
constructor's keywords: it names the preset row, its learning rate, and every other
keyword under the preset's own names (the framework's defaults filled in), which is what
a ``torch.optim`` param group holds. :meth:`Spec.build` returns the adamkit optimizer for
one set of values (one param group).

``maximize`` is an option of every framework-facing optimizer. Where the preset's framework
has it (PyTorch), it is the framework's; elsewhere it runs the framework on ``-g``: the C
core negates each gradient element first (exact), before any clipping or decay, as if the
framework had been given the negated gradient.
"""

import dataclasses
import numbers

from . import presets
from ._optim import Adam, AdaMax, AdamW, RMSProp

CLASSES = {"Adam": Adam, "AdamW": AdamW, "AdaMax": AdaMax, "RMSProp": RMSProp}

#: adamkit's own rule (preset=None): its keywords and defaults, per class
_NATIVE_ADAM = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                "nesterov": False, "maximize": False, "decoupled_weight_decay": False}
NATIVE = {
    "Adam": (1e-3, _NATIVE_ADAM),
    "AdamW": (1e-3, {**_NATIVE_ADAM, "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    "AdaMax": (2e-3, _NATIVE_ADAM),
    "RMSProp": (1e-2, {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                       "centered": False, "maximize": False, "initial_accumulator": 0.0}),
}


class Spec:
    """A framework-facing optimizer's preset and keywords.

    Attributes: ``row`` (the :class:`~adamkit.presets.Preset`, None for adamkit's own
    rule), ``lr_name`` (the preset's name for the learning rate), ``lr`` (the learning rate
    given, else the preset's default; None when the preset requires one), ``keywords``
    (every other keyword under the preset's names, with its value), ``family``.
    """

    def __init__(self, cls_name, preset, given):
        self.cls_name, self.preset = cls_name, preset
        given = dict(given)
        if preset is None:
            self.row, self.lr_name = None, "lr"
            lr, defaults = NATIVE[cls_name]
            unknown = set(given) - set(defaults) - {"lr"}
            if unknown:
                raise TypeError(f"unknown keyword arguments {sorted(unknown)} for adamkit's "
                                f"own {cls_name} (it takes {sorted(defaults)}; a framework's "
                                "names need preset=...)")
            self.lr = given.pop("lr", lr)
            self.keywords = {**defaults, **given}
            self.family = "rmsprop" if cls_name == "RMSProp" else "adam"
            return
        flags = {k: given[k] for k in ("amsgrad", "nesterov") if given.get(k)}
        row, _ = presets.resolve(preset, cls_name, flags)
        self.row, self.lr_name, self.family = row, row.lr_name, row.family
        named = self.framework_names(given)
        self.lr = named.pop(row.lr_name, row.defaults.get(row.lr_name))
        kw = {k: v for k, v in row.framework_keywords().items() if k != row.lr_name}
        kw.update(named)
        kw.setdefault("maximize", False)
        self.keywords = kw

    def framework_names(self, given):
        """``given`` under the preset's own names (adamkit's aliases mapped; ``lr`` is the
        learning rate whatever the preset calls it)."""
        if self.row is None:
            return dict(given)
        out, source = {}, {}
        for key, value in given.items():
            target = self.lr_name if key == "lr" else self.row.aliases.get(key, key)
            names = target if isinstance(target, tuple) else (target,)
            if isinstance(target, tuple):
                if not isinstance(value, (tuple, list)) or len(value) != len(target):
                    raise TypeError(f"{key} must be a sequence of {len(target)} values "
                                    f"({', '.join(target)})")
                values = tuple(value)
            else:
                values = (value,)
            for name, v in zip(names, values):
                if name in out:
                    raise TypeError(f"{name} given twice (as {source[name]!r} and {key!r})")
                out[name], source[name] = v, key
        return out

    def build(self, lr, keywords, n_threads=None):
        """The adamkit optimizer for learning rate ``lr`` and ``keywords`` (this spec's
        names). Raises the preset's own errors for values it does not reproduce."""
        cls = CLASSES[self.cls_name]
        kw = dict(keywords)
        if self.row is None:
            return cls(lr=lr, n_threads=n_threads, **kw)
        maximize = False
        if "maximize" not in self.row.defaults:
            maximize = bool(kw.pop("maximize", False))
        opt = cls(preset=self.preset, n_threads=n_threads, **{self.lr_name: lr}, **kw)
        if maximize:
            row = self.row
            initial = float(opt._hp.get(row.initial_state) or 0.0) if row.initial_state \
                else 0.0
            opt._configure(with_maximize(opt._rule), opt._hp, initial)
        return opt


def with_maximize(rule):
    """``rule`` on negated gradients: its ops with ``maximize`` set (the C core's first
    operation, g = -g), and so for the rules of other sets of arrays."""
    arrays = rule.arrays
    return dataclasses.replace(
        rule, ops={**rule.ops, "maximize": 1},
        arrays=None if arrays is None else (lambda shapes: with_maximize(arrays(shapes))))


def plain(value):
    """A keyword's value as plain Python data (a 0-d tensor or array as its number, a
    sequence as a tuple), to compare and to pass to a preset."""
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    if isinstance(value, (bool, str, type(None), numbers.Number)):
        return value
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", None) == 0:
        return item()
    return value
