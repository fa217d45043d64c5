"""Every preset's published defaults, where they come from, and how they are checked.

``python -m adamkit defaults`` prints, per preset, the framework's callable and release whose
keywords the preset takes, each keyword with its default, the keywords reproduced only at
their default, and adamkit's own options. ``--markdown`` prints the README's summary table
(learning rate, betas or rho, epsilon, and the other keywords that are set).

The values are the presets' own (``adamkit.presets``); the conformance suite checks them
against the frameworks: ``conformance/test_defaults.py`` reads the signature and
``get_config()`` (or ``.defaults``, ``.hyperparam``) of each live framework's callable, and
the golden recordings' ``hyperparameters_effective`` for the frameworks that cannot be
installed (Blocks, Lasagne master, Torch7; keras-adamw and Lasagne 0.1 both ways).
"""

from .. import presets as _presets


def _fmt(value):
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, _presets.Detect):
        return f"<{value.name}: detected>"
    return repr(value) if isinstance(value, str) else str(value)


def source(row):
    """Where the preset's defaults come from, in words."""
    if not row.constructor:
        return f"no framework callable: {row.api}" if row.version else "the cited code"
    if row.framework == "caffe":
        return f"caffe.proto's SolverParameter field defaults, Caffe {row.version}"
    if row.framework == "torch7":
        return f"{row.constructor}'s config defaults (Lua), optim {row.version}"
    return f"{row.constructor}, {_dist(row)} {row.version}"


def _dist(row):
    root = row.constructor.split(".")[0]
    return {"tensorflow": "TensorFlow", "torch": "torch", "keras": "Keras",
            "tf_keras": "tf-keras", "keras_adamw": "keras-adamw", "mxnet": "MXNet",
            "chainer": "Chainer", "lasagne": "Lasagne", "blocks": "Blocks",
            "optax": "optax"}.get(root, root)


def rows():
    """One dict per preset, sorted by name."""
    out = []
    for key in _presets.available():
        row = _presets.PRESETS[key]
        out.append({"preset": row.name, "source": source(row),
                    "keywords": row.framework_keywords(),
                    "only_default": sorted(row.only_default),
                    "ignored": sorted(row.ignored),
                    "options": row.adamkit_options(), "row": row})
    return out


def _main_values(row):
    """(learning rate, betas or rho, epsilon, the other keywords that are set)."""
    kw = row.framework_keywords()

    def own(name):                  # adamkit's name -> the framework's, where it has one
        target = row.aliases.get(name, name)
        return target if isinstance(target, tuple) or target in kw else None
    betas = own("betas") or own("alpha") or ()
    betas = (betas,) if isinstance(betas, str) else betas
    eps = own("eps")
    used = {row.lr_name, eps, *betas}
    lr = kw[row.lr_name]
    rest = [f"{k}={_fmt(v)}" for k, v in kw.items()
            if k not in used and k not in row.only_default
            and v not in (None, False, 0, 0.0, (), "")]
    return ("required" if lr is None else _fmt(lr),
            ", ".join(_fmt(kw[b]) for b in betas) or "-",
            _fmt(kw[eps]) if eps else "-", ", ".join(rest) or "-")


def markdown():
    """The README's table."""
    lines = ["| preset | defaults of | learning rate | betas / rho | epsilon "
             "| other keywords set |", "|---|---|---|---|---|---|"]
    for r in rows():
        row = r["row"]
        lr, betas, eps, rest = _main_values(row)
        where = (f"`{row.constructor}` {row.version}" if row.constructor
                 else "(no framework callable)")
        lines.append(f"| `{row.name}` | {where} | {lr} | {betas} | {eps} | {rest} |")
    return "\n".join(lines)


def text():
    out = []
    for r in rows():
        out.append(f"{r['preset']}: {r['source']}")
        out.append("  " + " ".join(f"{k}={_fmt(v)}" for k, v in r["keywords"].items()))
        if r["only_default"]:
            out.append("  reproduced at the default only: " + ", ".join(r["only_default"]))
        if r["ignored"]:
            out.append("  accepted, no numerics: " + ", ".join(r["ignored"]))
        if r["options"]:
            out.append("  adamkit options: " + " ".join(
                f"{k}={_fmt(v)}" for k, v in r["options"].items()))
    return "\n".join(out)
