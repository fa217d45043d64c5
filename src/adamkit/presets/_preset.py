"""One framework optimizer as data: its rule function, published defaults, names and the
conventions of its recordings, and what values each of its keywords takes.

The values a keyword takes (:class:`Spec`: type, finiteness, range) are one table,
resolved per keyword in this order (:meth:`Preset.spec`):

1. the preset's own ``checks`` (framework-specific ranges, next to the preset);
2. the keyword's role, from the preset's names: its learning rate (``lr_name``), and the
   keywords adamkit's ``betas``, ``alpha``, ``eps``, ``weight_decay``, ``momentum``,
   ``initial_accumulator`` map to (``aliases``; a keyword spelled as adamkit's name plays
   that role unless the alias sends adamkit's name elsewhere): :data:`ROLES`;
3. :data:`KEYWORDS`: keyword names with one meaning in every framework that has them;
4. the type of the default: a bool is a switch, an int an integer, a float a finite real,
   a detected CPU option (:class:`~._context.Detect`) its :data:`OPTIONS` entry.

A default of None also accepts None. ``presets.build`` applies the table to every keyword
of every preset before the rule is made; a test checks that every keyword resolves.
"""

import dataclasses
import math
import numbers
from typing import Callable, Optional

from ._context import XLA_ISAS, Detect


class PresetError(ValueError):
    """A hyper-parameter value or combination that the preset does not reproduce."""


# ---------------------------------------------------------------------------------------
# What values a keyword takes
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Spec:
    """The values a preset keyword takes: ``kind`` is "real" (finite, within [lo, hi],
    open ends as asked), "int" (an int, or a float with an integral value, within [lo,
    hi]), "flag" (True/False or 0/1), "choice" (one of ``choices``), "text" (a string),
    "pair" (two values, each as ``item``), "seq" (a tuple or list, each entry as
    ``item``), "none" (None only: other values are not
    reproduced) or "custom" (``test(value)`` raises TypeError/ValueError with the reason);
    ``none``: None is accepted too."""

    kind: str
    lo: float = None
    hi: float = None
    lo_open: bool = False
    hi_open: bool = False
    none: bool = False
    choices: tuple = ()
    item: "Spec" = None
    test: Callable = None
    doc: str = ""

    def describe(self):
        """What the keyword takes, in words (for errors and the docs)."""
        if self.kind == "real" or self.kind == "int":
            what = "a finite real" if self.kind == "real" else "an integer"
            if self.lo is not None and self.hi is not None:
                what += (f" in {'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}"
                         f"{')' if self.hi_open else ']'}")
            elif self.lo is not None:
                what += f" {'>' if self.lo_open else '>='} {self.lo:g}"
            elif self.hi is not None:
                what += f" {'<' if self.hi_open else '<='} {self.hi:g}"
        elif self.kind == "flag":
            what = "True or False (or 0/1)"
        elif self.kind == "choice":
            what = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind == "text":
            what = "a string"
        elif self.kind == "pair":
            what = f"a pair, each {self.item.describe()}"
        elif self.kind == "seq":
            what = f"a sequence, each entry {self.item.describe()}"
        elif self.kind == "none":
            what = "None (other values are not reproduced)"
        else:
            what = self.doc
        return what + (", or None" if self.none and self.kind != "none" else "")

    def check(self, where, value):
        """Raise TypeError (wrong type) or ValueError (wrong value) naming ``where`` unless
        ``value`` is one this keyword takes."""
        if value is None and (self.none or self.kind == "none"):
            return
        bad = self._why(value)
        if bad is not None:
            exc, why = bad
            raise exc(f"{where} must be {self.describe()}, got {_short(value)}{why}")

    def _why(self, value):
        kind = self.kind
        if kind == "none":
            return ValueError, ""
        if kind == "flag":
            if isinstance(value, bool) or type(value).__name__ == "bool_" or (
                    isinstance(value, numbers.Integral) and value in (0, 1)):
                return None
            return TypeError, ""
        if kind == "choice":
            return None if isinstance(value, str) and value in self.choices else (
                (ValueError if isinstance(value, str) else TypeError), "")
        if kind == "text":
            return None if isinstance(value, str) else (TypeError, "")
        if kind in ("pair", "seq"):
            if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) \
                    or (kind == "pair" and len(value) != 2):
                return TypeError, ""
            for i, v in enumerate(value):
                try:
                    self.item.check(f"item {i}", v)
                except (TypeError, ValueError) as e:
                    return type(e), f" ({e})"
            return None
        if kind == "custom":
            try:
                self.test(value)
            except (TypeError, ValueError) as e:
                return type(e), f" ({e})"
            return None
        # real or int
        if type(value).__name__ == "bool_" or isinstance(value, bool) \
                or not isinstance(value, numbers.Real):
            return TypeError, ""
        try:
            x = float(value)
        except OverflowError:
            return ValueError, " (too large for a float)"
        if not math.isfinite(x):
            return ValueError, ""
        if kind == "int" and not (isinstance(value, numbers.Integral) or x == math.floor(x)):
            return TypeError, ""
        if self.lo is not None and (x < self.lo or (self.lo_open and x == self.lo)):
            return ValueError, ""
        if self.hi is not None and (x > self.hi or (self.hi_open and x == self.hi)):
            return ValueError, ""
        return None


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def real(lo=None, hi=None, *, lo_open=False, hi_open=False, none=False):
    """A finite real within [lo, hi] (``lo_open``/``hi_open``: the end excluded)."""
    return Spec("real", lo, hi, lo_open, hi_open, none)


def integer(lo=None, hi=None, *, none=False):
    """An integer (or a float with an integral value, as a recording's JSON may hold)."""
    return Spec("int", lo, hi, none=none)


def flag(*, none=False):
    """A switch: True or False (also NumPy's), or 0/1; never a string."""
    return Spec("flag", none=none)


def one_of(*values, none=False):
    return Spec("choice", choices=tuple(values), none=none)


def pair(item):
    return Spec("pair", item=item)


def sequence(item):
    return Spec("seq", item=item)


def custom(test, doc, *, none=False):
    """``test(value)`` raises TypeError or ValueError with the reason; ``doc`` says what
    the keyword takes."""
    return Spec("custom", test=test, doc=doc, none=none)


TEXT = Spec("text")
NONE_ONLY = Spec("none")
BETA = real(0.0, 1.0, hi_open=True)

#: Keywords by their role in the update (see the module docstring).
ROLES = {"lr": real(0.0), "betas": BETA, "alpha": BETA, "eps": real(0.0),
         "weight_decay": real(0.0), "momentum": real(0.0),
         "initial_accumulator": real(0.0)}

#: Keyword names with one meaning in every framework that has them. Keras (3 and tf_keras)
#: clips only with a value > 0, so 0 means off and a negative value is refused.
KEYWORDS = {"clipnorm": real(0.0, none=True), "clipvalue": real(0.0, none=True),
            "global_clipnorm": real(0.0, none=True),
            "eps_root": real(0.0),                          # optax
            "fused": flag(none=True),                       # torch.optim
            "mu_dtype": NONE_ONLY, "mask": NONE_ONLY}       # optax, not reproduced

#: The CPU-dependent options (``Detect`` defaults), by the option's name. OpenBLAS cores
#: are checked where a rule uses them (presets/_openblas.py models some of them).
OPTIONS = {"estimate": one_of("zen", "host"), "portable": flag(),
           "xla_isa": one_of(*XLA_ISAS), "openblas_core": TEXT,
           "openblas_threads": integer(1, 1 << 16), "torch_threads": integer(1, 1 << 16),
           "tf_threads": integer(1, 1 << 16)}


def _nullable(spec, default):
    if default is None and not spec.none and spec.kind != "none":
        return dataclasses.replace(spec, none=True)
    return spec


@dataclasses.dataclass(frozen=True)
class Preset:
    """One framework's optimizer.

    ``rule(hp)`` returns the :class:`~adamkit._rules.Rule` that reproduces the framework
    for the hyper-parameters ``hp`` (under the framework's own names, defaults filled in):
    which ops rows run, how each step's scalars are computed, and what must be computed
    from all gradients first. It is a plain function of ``hp``: read it top to bottom.
    """

    framework: str
    optimizer: str                 # adam, amsgrad, adamw, adamax, nadam, ..., rmsprop
    family: str                    # adam or rmsprop: which kernel family runs it
    rule: Callable                 # hp -> Rule
    defaults: dict                 # the framework's keywords and published defaults
    lr_name: str                   # which of them is the learning rate
    aliases: dict = dataclasses.field(default_factory=dict)    # adamkit name -> framework's
    states: dict = dataclasses.field(default_factory=dict)     # framework state -> buffer
    required: tuple = ()           # hyper-parameters without a default
    ignored: frozenset = frozenset()   # keywords of the framework that change no bits
    dtypes: tuple = ("float32", "float64")
    api: str = ""                  # what it reproduces (for the docs and the report)
    meta_keys: tuple = ()          # recording metadata that are options (e.g. optax "jit")
    from_recording: Optional[Callable] = None    # (hp, meta) -> hp: a recording's own conventions
    variants: tuple = ()           # hyper-parameter changes whose rows get their own loop
    initial_state: Optional[str] = None   # the hyper-parameter holding RMSProp's initial
                                          # mean square
    per_arrays: bool = False       # rule(hp) reads hp["_arrays"]: the shapes of the arrays
                                   # updated together (None until a step shows them)
    constructor: str = ""          # the framework's callable whose keywords ``defaults`` are
                                   # ("torch.optim.Adam"; "" when the framework has none)
    version: str = ""              # the framework release reproduced
    options: frozenset = frozenset()       # keys of ``defaults`` that are adamkit's own, not
                                           # the framework's (context options are too)
    only_default: frozenset = frozenset()  # framework keywords reproduced at their default
                                           # only; any other value is refused by name
    checks: dict = dataclasses.field(default_factory=dict)   # keyword -> Spec: ranges of
                                           # this framework's own keywords (module docstring)

    @property
    def name(self):
        return f"{self.framework}.{self.optimizer}"

    def make_rule(self, hp):
        """The rule for ``hp``, named after this preset; a tail row that changes no stage
        is dropped (one loop). A ``per_arrays`` preset's rule also says how to find the rule
        for the arrays a step updates together (``Rule.arrays``)."""
        if self.per_arrays:
            hp = {"_arrays": None, **hp}
        rule = self.rule(hp)
        if rule.family != self.family:
            raise AssertionError(f"{self.name}: a {rule.family} rule for a {self.family} preset")
        tail, split = rule.tail_ops, rule.split
        if tail is not None and {**rule.ops, **tail} == dict(rule.ops):
            tail, split = None, None
        arrays = None
        if self.per_arrays:
            base = {k: v for k, v in hp.items() if k != "_arrays"}
            arrays = lambda shapes: self.make_rule({**base, "_arrays": tuple(shapes)})  # noqa: E731
        return dataclasses.replace(rule, name=self.name, tail_ops=tail, split=split,
                                   arrays=arrays)

    def framework_keywords(self):
        """The framework's own keywords among ``defaults`` (adamkit's options left out)."""
        return {k: v for k, v in self.defaults.items()
                if k not in self.options and not _is_context(v)}

    def adamkit_options(self):
        """adamkit's own keywords: how the framework's code path is chosen (context
        options, detected on this machine when not given) and switches of its raw ops."""
        return {k: v for k, v in self.defaults.items()
                if k in self.options or _is_context(v)}

    def role(self, name):
        """The role (a key of :data:`ROLES`) of keyword ``name``, or None."""
        if name == self.lr_name:
            return "lr"
        for own, target in self.aliases.items():
            if own in ROLES and name in (target if isinstance(target, tuple) else (target,)):
                return own
        if name == self.initial_state:
            return "initial_accumulator"
        if name in ROLES and name not in self.aliases:
            return name
        return None

    def spec(self, name):
        """The :class:`Spec` of keyword ``name`` (module docstring), or None when nothing
        says what it takes."""
        default = self.defaults.get(name)
        if name in self.checks:
            return _nullable(self.checks[name], default)
        role = self.role(name)
        if role is not None:
            spec = ROLES[role]
            if isinstance(default, (tuple, list)) and len(default) == 2:
                spec = pair(spec)              # torch.optim's betas=(b1, b2)
            return _nullable(spec, default)
        if name in KEYWORDS:
            return _nullable(KEYWORDS[name], default)
        if isinstance(default, Detect):
            return OPTIONS.get(default.name)
        if isinstance(default, bool):
            return flag()
        if isinstance(default, int):
            return integer()
        if isinstance(default, float):
            return real()
        return None

    def refuse(self, what):
        """The error for a setting this preset does not reproduce."""
        return PresetError(f"{self.framework} {self.optimizer}: {what}")


def _is_context(value):
    return isinstance(value, Detect)


def refuse(framework, optimizer, what):
    return PresetError(f"{framework} {optimizer}: {what}")


@dataclasses.dataclass
class Setting:
    """How a framework's optimizer object is run, beside the object itself (what
    :func:`adamkit.from_framework` is told): ``traced`` (the step under tf.function,
    model.fit's default, or jax.jit), the torch ``group`` index and lr ``scheduler``, a
    ``learning_rate`` that replaces an opaque one (a TF1 tensor, an optax schedule
    function), and ``call``: the keywords of a constructor call (optax)."""

    traced: object = None
    group: object = None
    scheduler: object = None
    learning_rate: object = None
    call: dict = dataclasses.field(default_factory=dict)

    def need_traced(self, what):
        """``traced`` as a bool; None is a question only the user can answer."""
        if self.traced is None:
            raise PresetError(f"{what} computes differently when its step is traced "
                              "(tf.function, model.fit, jax.jit) and eagerly: pass "
                              "traced=True or traced=False")
        if not isinstance(self.traced, bool):
            raise TypeError(f"traced must be True or False, got {self.traced!r}")
        return self.traced


def choice(framework, optimizer, hp):
    """What a framework object translates to: the preset and its keywords."""
    return (framework, optimizer, dict(hp))
