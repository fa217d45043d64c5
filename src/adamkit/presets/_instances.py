"""The ops rows that get a specialised loop in the C core (``instances.h``).

``adam_c/codegen.py`` calls :func:`instance_rows` at build time, with the package source
on the path but none of its compiled modules: every row that adamkit's own rules and the
presets use at their defaults (and at the variants a preset declares) is compiled as a
straight-line, vectorizable loop; any other row runs through the generic loop, with the
same bits. So a new preset row needs no edit anywhere else to be fast.
"""

from .. import _rules
from . import PRESETS
from ._context import Detect


def _native_rules():
    yield "adamkit Adam", _rules.native_adam()
    yield "adamkit Adam amsgrad", _rules.native_adam(amsgrad=True)
    yield "adamkit Adam nesterov", _rules.native_adam(nesterov=True)
    yield "adamkit Adam L2", _rules.native_adam(weight_decay=1.0)
    yield "adamkit AdamW", _rules.native_adam(weight_decay=1.0, decoupled=True)
    yield "adamkit AdaMax", _rules.native_adam(adamax=True)
    yield "adamkit RMSProp", _rules.native_rmsprop()
    yield "adamkit RMSProp momentum", _rules.native_rmsprop(momentum=0.9)
    yield "adamkit RMSProp centered", _rules.native_rmsprop(centered=True)


def preset_rules():
    """(label, rule) of every preset at its defaults and at its declared variants (the
    hyper-parameters without a default set to 1e-3)."""
    for key in sorted(PRESETS):
        row = PRESETS[key]
        base = {k: v.fixed if isinstance(v, Detect) else v for k, v in row.defaults.items()}
        for name in row.required:
            base[name] = 1e-3
        for variant in ({},) + tuple(row.variants):
            hp = {**base, **variant}
            label = row.name + "".join(f" {k}={v}" for k, v in variant.items())
            yield label, row.make_rule(hp)


def instance_rows():
    """[(family, ops, label)]: body rows, and tail rows where a rule has one."""
    out = []
    for label, rule in (*_native_rules(), *preset_rules()):
        out.append((rule.family, dict(rule.ops), label))
        if rule.tail_ops is not None:
            out.append((rule.family, {**rule.ops, **rule.tail_ops}, label + " (tail)"))
    return out
