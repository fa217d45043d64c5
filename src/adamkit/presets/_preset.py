"""One framework optimizer as data: its rule function, published defaults, names and the
conventions of its recordings."""

import dataclasses
from typing import Callable, Optional

from ._context import Detect


class PresetError(ValueError):
    """A hyper-parameter value or combination that the preset does not reproduce."""


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
