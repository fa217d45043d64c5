"""Read optimizer defaults from the frameworks themselves (run inside a stack's venv).

``python defaults_probe.py < requests.json > answers.json``: each request names a preset
and the framework's own callable (``"torch.optim.Adam"``, ``"keras.optimizers.Adam"``,
``"lasagne.updates.adam"``, ...). The answer holds

* ``signature``: every keyword of the callable with its default (``{"required": true}``
  when it has none), following ``**kwargs`` into the base classes' ``__init__`` where a
  class passes them on;
* ``config``: what the constructed object reports with the framework's own accessor, where
  it has one: ``get_config()`` (Keras, tf.keras), ``.defaults`` (torch.optim),
  ``.hyperparam.get_dict()`` (Chainer); it includes defaults that live in ``**kwargs``
  (Keras 2's ``epsilon`` and ``decay``);
* ``version``: the distribution's version (``importlib.metadata``).

Values are JSON numbers, strings, booleans, null or lists; anything else is its repr in
``{"repr": ...}``. Nothing here reads adamkit: the test compares (``test_defaults.py``).
"""

import collections
import collections.abc
import importlib
import inspect
import json
import sys
from importlib import metadata

#: positional data arguments, not hyper-parameters
DATA = {"self", "params", "loss_or_grads", "args", "kwargs"}

for _name in ("Iterable", "Mapping", "MutableMapping", "Sequence", "Callable"):
    if not hasattr(collections, _name):      # Keras 2.3.1 and Theano on Python >= 3.10
        setattr(collections, _name, getattr(collections.abc, _name))


def plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    try:                                     # numpy / framework scalars
        item = value.item()
        if isinstance(item, (bool, int, float)):
            return item
    except Exception:
        pass
    return {"repr": repr(value)}


def load(path):
    module, _, attr = path.rpartition(".")
    if module.startswith("lasagne"):
        _lasagne_01_shim()
    return getattr(importlib.import_module(module), attr)


def _lasagne_01_shim():
    """Lasagne 0.1 imports ``theano.tensor.signal.downsample``, which Theano 1.0 removed
    (pooling only; as in ``adapters/lasagne_adapter.py``)."""
    import types

    import theano.tensor.signal
    stub = types.ModuleType("theano.tensor.signal.downsample")
    stub.max_pool_2d = None
    sys.modules.setdefault("theano.tensor.signal.downsample", stub)
    theano.tensor.signal.downsample = sys.modules["theano.tensor.signal.downsample"]


def signature(obj):
    out, pending = {}, [obj]
    if inspect.isclass(obj):
        pending = [c.__init__ for c in obj.__mro__ if "__init__" in vars(c)
                   and c is not object]
    for fn in pending:
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            break
        for name, p in sig.parameters.items():
            if name in DATA or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or name in out:
                continue
            out[name] = {"required": True} if p.default is p.empty else plain(p.default)
        if not any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
            break                            # no **kwargs: the bases see nothing more
    return out


def config(path, obj):
    root = path.split(".")[0]
    if not inspect.isclass(obj):
        return None
    if root == "torch":
        import torch
        return plain(obj([torch.zeros(1, requires_grad=True)]).defaults)
    if root == "chainer":
        return plain(obj().hyperparam.get_dict())
    if hasattr(obj, "get_config"):
        return plain(obj().get_config())
    return None


def version(path):
    root = path.split(".")[0]
    dist = {"tensorflow": "tensorflow-cpu", "keras_adamw": "keras-adamw",
            "lasagne": "Lasagne"}.get(root, root)
    for name in (dist, root):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return getattr(importlib.import_module(root), "__version__", None)


def answer(request):
    path = request["constructor"]
    try:
        obj = load(path)
    except Exception as exc:               # reported, not hidden: the test decides
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"signature": signature(obj), "config": config(path, obj), "version": version(path)}


def main():
    requests = json.load(sys.stdin)
    json.dump({r["preset"]: answer(r) for r in requests}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
