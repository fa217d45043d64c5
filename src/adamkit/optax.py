r"""adamkit's optimizers as ``optax.GradientTransformation`` s: any framework's Adam or
RMSProp, bit for bit, in a JAX training step (CPU).

::

    tx = adamkit.optax.adam(1e-3, preset="tensorflow")    # TF1's AdamOptimizer
    state = tx.init(params)

    @jax.jit
    def train_step(params, state, batch):
        grads = jax.grad(loss_fn)(params, batch)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

:func:`adam`, :func:`adamw`, :func:`adamax` and :func:`rmsprop` take ``preset=`` (the
framework whose update to reproduce, ``adamkit.presets.available()``; None for adamkit's
own rule) and that framework's hyper-parameters under its own names. The transformations
work under ``jax.jit`` and eagerly, on pytrees of float32 and float64 arrays, inside
``optax.chain``, with an optax schedule (or an ``adamkit.schedules`` one) as the learning
rate, and under ``optax.inject_hyperparams`` (the learning rate).

How it runs
-----------
The update is computed by adamkit's C core in one XLA FFI custom call per step over every
leaf together (a framework that compiles the arrays of a step together, as XLA does, is
reproduced for that set of arrays); an eager ``update`` runs the same jitted function,
compiled once per tree of arrays. The state holds each buffer as one flat array per dtype
(:func:`state_tree` gives them the parameters' structure); the gradients and parameters
cross leaf by leaf where the leaves are large, else concatenated the same way. The call's
handler is a ``ctypes`` function that runs the step on NumPy views of XLA's buffers: the
parameters to start from and the state buffers are aliased from input to output and
updated in place (XLA copies an input first only where it is still needed, as the
parameters are for the updates), and the handler computes the updates too (below), where
the parameters already are. Where ``jax.ffi`` cannot register it, or with
``ADAMKIT_OPTAX_CROSSING=callback`` in the environment, the step crosses through
``jax.pure_callback`` (JAX copies each argument to the host and each result back), with
the same bits.

The call is a pure function of its arguments: the step count, the optimizer state and the
learning rate of an optax schedule come in, the new parameters and state go out, and
nothing that the results depend on is kept between calls. So XLA may order, repeat or drop
it like any pure computation, and the state is an ordinary pytree to checkpoint or donate.
An exception in the step (a negative learning rate from a schedule) stops the computation
with JAX's runtime error. The copy of the parameters to start from, the updates and
their addition cost a few more passes over the parameters than optax's own fused update,
and the step a fixed ~40-100 us (the Python handler and the call; from about 1e3
parameters XLA dispatches asynchronously, and the handler waits for the GIL on XLA's
thread): 0.8-1.4x optax's time with hundreds of leaves up to 1e5 parameters, 1.4-3.6x
beyond, 4-11x for one small leaf (docs/frameworks.md, "How fast"), the price of the
exact arithmetic.
Not differentiable (no meta-gradients through the update), not under ``vmap``, CPU only.

The updates
-----------
optax's contract is ``new_params = params + updates`` (``optax.apply_updates``). The core
computes the framework's new parameters ``q`` from ``params``; the update returned is
``q - params``, rounded, then moved by a few units in the last place where needed, in
the arithmetic of the addition ``apply_updates`` makes (XLA's, with flush-to-zero), so
that ``params + updates`` gives ``q`` exactly (the FFI call's handler computes them on
the host, ``adam_c/src/delta.c``, in XLA's mode, tested equal to the XLA computation; the
callback crossing, or ``ADAMKIT_OPTAX_UPDATES=xla``, computes them in XLA behind an
optimization barrier). Such updates always exist for frameworks that add one rounded
step to the parameters (TensorFlow, Keras, PyTorch's Adam and RMSprop, optax without
jit). Frameworks that fuse the step into the parameter (``fma``, as optax
under ``jax.jit``) or decay the parameter multiplicatively first (AdamW) can produce a
``q`` that no addition to ``params`` reaches, where a parameter lands much closer to zero
than both its old value and the step. There ``params + updates`` is the nearest value an
addition reaches, and:

* with ``carry_params=True`` (the default), the state also holds the framework's
  parameters ``q`` and the values ``params + updates`` give: the next step continues from
  ``q`` wherever the parameters it is given are those values (bit for bit), so the
  optimizer follows the framework's trajectory exactly; parameters changed in any other
  way are taken as given. :func:`framework_params` returns ``q``: use it instead of
  ``apply_updates`` for parameters equal to the framework's at every step, bit for bit
  (the gradients are then taken where the framework takes them too).
* with ``carry_params=False`` the state holds only the optimizer's buffers (less memory)
  and each step starts from the parameters it is given.
"""

import ctypes
import numbers
import os
import threading
from typing import Any, NamedTuple

import numpy as np

try:
    import jax
    import jax.numpy as jnp
    import optax
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("adamkit.optax needs JAX and optax (pip install 'adamkit[jax]')") \
        from exc

from . import _frameworks, _kernels
from .schedules import Schedule

__all__ = ["adam", "adamw", "adamax", "rmsprop", "AdamkitState", "framework_params",
           "state_tree", "STATE_NAMES"]

#: adamkit's state buffers under optax's names, per family
STATE_NAMES = {"adam": {"m": "mu", "v": "nu", "vhat": "nu_max"},
               "rmsprop": {"ms": "nu", "mg": "mu", "mom": "trace"}}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_SEARCH = 4            # units in the last place tried on each side of q - params


class AdamkitState(NamedTuple):
    """The state of an adamkit transformation (a pytree of arrays).

    ``count``: int32, the steps taken. ``buffers``: the optimizer's state under optax's
    names (``mu``, ``nu``, ``nu_max``; RMSProp ``nu``, ``mu``, ``trace``). ``params``: the
    framework's parameters after the last step, and ``applied``: what ``params + updates``
    gave for them (both None with ``carry_params=False``). Each of these is a tuple of flat
    arrays, one per dtype, holding the leaves of that dtype one after the other in
    ``jax.tree.leaves`` order (one argument per array crosses to the host, not one per
    leaf); :func:`state_tree` gives them the structure of the parameters.
    """

    count: Any
    buffers: dict
    params: Any = None
    applied: Any = None


def _find_state(state):
    if isinstance(state, AdamkitState):
        return state
    found = [s for s in jax.tree.leaves(state, is_leaf=lambda x: isinstance(x, AdamkitState))
             if isinstance(s, AdamkitState)]
    if len(found) != 1:
        raise ValueError(f"{len(found)} AdamkitStates in this state, not one")
    return found[0]


def state_tree(state, params):
    """``state`` (an :class:`AdamkitState`, or an optax chain's state holding one) with its
    buffers, ``params`` and ``applied`` in the structure of ``params``."""
    state = _find_state(state)
    leaves, treedef = jax.tree.flatten(params)
    layout = _Layout(leaves)
    tree = lambda flats: None if flats is None else treedef.unflatten(  # noqa: E731
        layout.unflatten(list(flats)))
    return AdamkitState(state.count, {k: tree(v) for k, v in state.buffers.items()},
                        tree(state.params), tree(state.applied))


def framework_params(state, params):
    """The framework's parameters after the last update, bit for bit whatever its last
    operation, in the structure of ``params``, from a state made with
    ``carry_params=True``: use it in place of ``optax.apply_updates(params, updates)``
    for parameters equal to the framework's at every step."""
    st = _find_state(state)
    if st.params is None:
        raise ValueError("this transformation was made with carry_params=False")
    return state_tree(st, params).params


# ---------------------------------------------------------------------------------------
# The host side: one adamkit optimizer per (class, preset, keywords), guarded by a lock
# ---------------------------------------------------------------------------------------

class _Layout:
    """Where each leaf lives in the flat buffers that cross the callback: the leaves of one
    dtype are concatenated (one argument per kind of array and dtype, not per leaf: JAX's
    callback costs per argument). ``groups``: per dtype, its leaves as (index, shape,
    offset, size)."""

    def __init__(self, leaves):
        self.n = len(leaves)
        by = {}
        for i, x in enumerate(leaves):
            by.setdefault(np.dtype(jnp.result_type(x)), []).append(i)
        self.groups = []
        for dt, idx in by.items():
            off, entries = 0, []
            for i in idx:
                shape = tuple(jnp.shape(leaves[i]))
                size = int(np.prod(shape, dtype=np.int64))
                entries.append((i, shape, off, size))
                off += size
            self.groups.append((dt, entries, off))

    def flatten(self, leaves):
        """One flat array per dtype group (a traced concatenation)."""
        out = []
        for _, entries, _ in self.groups:
            parts = [jnp.ravel(leaves[i]) for i, _, _, _ in entries]
            out.append(parts[0] if len(parts) == 1 else jnp.concatenate(parts))
        return out

    def unflatten(self, flats):
        """The leaves (in order) from one flat array per dtype group."""
        leaves = [None] * self.n
        for flat, (_, entries, _) in zip(flats, self.groups):
            for i, shape, off, size in entries:
                leaves[i] = flat.reshape(shape) if len(entries) == 1 else \
                    flat[off:off + size].reshape(shape)
        return leaves

    def views(self, flats):
        """NumPy views of each leaf into the flat host arrays, in leaf order."""
        leaves = [None] * self.n
        for flat, (_, entries, _) in zip(flats, self.groups):
            for i, shape, off, size in entries:
                leaves[i] = flat[off:off + size].reshape(shape)
        return leaves

    def shapes(self):
        return [jax.ShapeDtypeStruct((total,), dt) for dt, _, total in self.groups]

    def leaves(self):
        """(dtype, shape, size) of each leaf, in leaf order."""
        if getattr(self, "_leaves", None) is None:
            out = [None] * self.n
            for dt, entries, _ in self.groups:
                for i, shape, _, size in entries:
                    out[i] = (dt, shape, size)
            self._leaves = out
        return self._leaves

    def split(self, flats):
        """Each leaf's 1-D part of the flat arrays (one per dtype group), in leaf order."""
        out = [None] * self.n
        for flat, (_, entries, _) in zip(flats, self.groups):
            for i, _, off, size in entries:
                out[i] = flat if len(entries) == 1 else flat[off:off + size]
        return out

    def join(self, parts):
        """The flat arrays (one per dtype group) of 1-D leaf parts given in leaf order."""
        return [parts[entries[0][0]] if len(entries) == 1 else
                jnp.concatenate([parts[i] for i, _, _, _ in entries])
                for _, entries, _ in self.groups]


class _Static:
    """A layout as a static jit argument (equal, and hashed, by its groups)."""

    def __init__(self, layout):
        self.layout = layout
        self.key = tuple((str(dt), tuple(entries), total) for dt, entries, total in
                         layout.groups)

    def __eq__(self, other):
        return isinstance(other, _Static) and other.key == self.key

    def __hash__(self):
        return hash(self.key)


class _Host:
    """The adamkit optimizer of a transformation and the function the callback runs."""

    def __init__(self, spec, lr, keywords, n_threads):
        self.lock = threading.Lock()
        self.inner = spec.build(lr, keywords, n_threads)
        self.names = self.inner._needed_state()
        self.initial = {k: float(a[0]) for k, a in
                        self.inner._new_state(np.zeros(1)).items()}
        self.core = jax.jit(self._core, static_argnums=(0,))
        self.threads = _kernels.effective_n_threads(n_threads)
        self._local = threading.local()

    def _core(self, layout, count, lr, grads, params, bufs, carried):
        """The traced update: through one FFI call (:meth:`_core_ffi`) or one
        pure_callback (flat arrays there and back). ``bufs``:
        {buffer: flat arrays}, ``carried``: [] or [q flats, applied flats]. Returns (the
        updates' leaves, {buffer: flat arrays}, [q flats, applied flats]).

        The step starts from the framework's parameters ``q`` where the parameters given
        are the ones the last update gave (``applied``, bit for bit), else from the
        parameters given. The callback returns the framework's new parameters and buffers;
        the updates and what they give are computed here (:func:`_updates`), with the same
        addition as ``optax.apply_updates``."""
        if isinstance(layout, _Static):
            layout = layout.layout
        target = _ffi_target()
        if target is not None:
            return self._core_ffi(target, layout, count, lr, grads, params, bufs, carried)
        k = len(layout.groups)
        pf = layout.flatten(params)
        start = pf if not carried else [jnp.where(_jbits(p) == _jbits(e), q, p)
                                        for p, q, e in zip(pf, carried[0], carried[1])]
        args = [count] + ([] if lr is None else [lr]) + layout.flatten(grads) + start
        for name in self.names:
            args += list(bufs[name])
        shapes = layout.shapes() * (1 + len(self.names))
        dynamic = lr is not None
        res = jax.pure_callback(
            lambda count, *a: self.step(layout, count, a[0] if dynamic else None,
                                        *a[dynamic:]),
            tuple(shapes), *args)
        res = list(res)
        qf = res[:k]
        uf = [_updates(p, q) for p, q in zip(pf, qf)]
        out = {name: tuple(res[(j + 1) * k:(j + 2) * k]) for j, name in enumerate(self.names)}
        extra = [tuple(qf), tuple(p + u for p, u in zip(pf, uf))] if carried else []
        return layout.unflatten(uf), out, extra

    def _core_ffi(self, target, layout, count, lr, grads, params, bufs, carried):
        """:meth:`_core` through the FFI call. The buffers cross flat, as the state holds
        them; the gradients and the parameters per leaf where the leaves are large (an
        FFI argument costs nothing, a concatenation a pass), else flat too (one fused
        computation of the updates instead of one per small leaf). The parameters to
        start from and the buffers are aliased input to output: XLA hands the handler each
        output holding its input's values, and the step updates them in place. Where
        :func:`_delta_ftz` allows, the parameters given come in too and the handler
        computes the updates (:func:`_updates`' bits, one pass in C), into a buffer XLA
        already has where it can: a temporary array of parameter size in XLA's
        computation is a fresh allocation, page faults included, at every step."""
        per_leaf = layout.n > 1 and \
            sum(size for _, _, size in layout.leaves()) >= _per_leaf_min() * layout.n
        if per_leaf:
            pl = [jnp.ravel(x) for x in params]
            gl = [jnp.ravel(x) for x in grads]
            cq, ce = (layout.split(carried[0]), layout.split(carried[1])) if carried else ((), ())
            shapes = [jax.ShapeDtypeStruct((size,), dt) for dt, _, size in layout.leaves()]
        else:
            pl, gl = layout.flatten(params), layout.flatten(grads)
            cq, ce = carried if carried else ((), ())
            shapes = layout.shapes()
        start = [jnp.where(_jbits(p) == _jbits(e), q, p) for p, q, e in zip(pl, cq, ce)] \
            if carried else pl
        dynamic = lr is not None
        args = [count] + ([lr] if dynamic else []) + gl + start
        for name in self.names:
            args += list(bufs[name])
        m, k = len(shapes), len(layout.groups)
        aliased = shapes + layout.shapes() * len(self.names)
        first = 2 + dynamic + m              # the nonce and key, count, lr, the gradients
        aliases = {first + j: j for j in range(len(aliased))}
        # the updates: by the handler from the parameters given, over the framework's
        # parameters ("over": not kept without carry_params) or into the last step's
        # `applied` state arrays ("applied": donated with the state, no new buffer); else
        # by XLA (None), fused into what adds them: per leaf with carry_params, where the
        # handler's would be new arrays (timed slower at 1e7 parameters in 200 leaves)
        delta = None if _delta_ftz() is None or (carried and per_leaf) else \
            "applied" if carried else "over"
        key = _register_call(self, layout, count, lr, per_leaf, delta)
        if delta is not None:
            args = args + pl
        if delta == "applied":
            aliases.update({len(args) + 1 + i: len(aliased) + i for i in range(m)})
            args = args + list(ce)
        res = list(jax.ffi.ffi_call(
            target, tuple(aliased + (shapes if delta == "applied" else [])),
            input_output_aliases=aliases)(jnp.asarray([_NONCE, key], jnp.int32), *args))
        ql = res[:m]
        ul = [_updates(p, q) for p, q in zip(pl, ql)] if delta is None else \
            ql if delta == "over" else res[len(aliased):]
        out = {name: tuple(res[m + j * k:m + (j + 1) * k]) for j, name in enumerate(self.names)}
        applied = [p + u for p, u in zip(pl, ul)] if carried else []
        if not per_leaf:
            extra = [tuple(ql), tuple(applied)] if carried else []
            return layout.unflatten(ul), out, extra
        extra = [tuple(layout.join(ql)), tuple(layout.join(applied))] if carried else []
        return [u.reshape(shape) for u, (_, shape, _) in zip(ul, layout.leaves())], out, extra

    def step(self, layout, count, lr, *flats):
        """One update, on the host (``jax.pure_callback``'s crossing). In, per dtype group:
        the gradients, the parameters to start from, each buffer; out: the new parameters,
        each buffer.

        The arrays returned are this thread's, reused at its next call: XLA copies a
        callback's results into the output buffers it owns before the call returns, and
        fresh arrays of millions of elements would cost their page faults at every step."""
        k = len(layout.groups)
        flats = [np.asarray(x) for x in flats]      # the callback is given jax.Arrays
        take = lambda j: flats[j * k:(j + 1) * k]  # noqa: E731
        pool = self._pool(layout)
        for dst, src in zip(pool["q"], take(1)):
            np.copyto(dst, src)
        for j, name in enumerate(self.names):
            for dst, src in zip(pool[name], take(2 + j)):
                np.copyto(dst, src)
        self.step_in_place(layout, count, lr, take(0), pool["q"],
                           {name: pool[name] for name in self.names})
        out = list(pool["q"])
        for name in self.names:
            out += pool[name]
        return tuple(out)

    def step_in_place(self, layout, count, lr, grads, q, bufs, per_leaf=False):
        """One update of ``q`` (the parameters to start from: flat arrays per dtype group,
        or with ``per_leaf`` one 1-D array per leaf) and ``bufs`` ({buffer: flat arrays})
        in place, from ``grads`` (laid out as ``q``)."""
        if per_leaf:
            shapes = [shape for _, shape, _ in layout.leaves()]
            q_views = [x.reshape(shape) for x, shape in zip(q, shapes)]
            g_views = [x.reshape(shape) for x, shape in zip(grads, shapes)]
        else:
            q_views = layout.views(q)
            g_views = [np.ascontiguousarray(x) for x in layout.views(grads)]
        b_views = {name: layout.views(bufs[name]) for name in self.names}
        state = [{name: b_views[name][i].reshape(-1) for name in self.names}
                 for i in range(layout.n)]
        with self.lock:
            inner = self.inner
            with inner._mutating("adamkit.optax update"):
                inner._set_loaded(int(count), state)
            if lr is not None:
                inner.lr = float(lr)
            inner.step(q_views, g_views)

    def _pool(self, layout):
        """This thread's arrays for ``layout`` (made at its first call with it)."""
        key = tuple((str(dt), total) for dt, _, total in layout.groups)
        local = self._local.__dict__
        if local.get("key") != key:
            local["pool"] = {name: [np.empty(total, dt) for dt, _, total in layout.groups]
                             for name in ("q", *self.names)}
            local["key"] = key
        return local["pool"]


def _jbits(x):
    return jax.lax.bitcast_convert_type(x, jnp.uint32 if x.dtype == jnp.float32
                                        else jnp.uint64)


def _next_toward(x, up):
    """``jnp.nextafter(x, +inf where up else -inf)`` in integer operations on the bits
    (XLA's comparisons treat subnormals as zero; these do not): the neighbour one unit
    in the last place away, +-0 to the smallest subnormal of the direction's sign, and
    +-inf (outward) and NaN unchanged."""
    it = jnp.int32 if x.dtype == jnp.float32 else jnp.int64
    bits = jax.lax.bitcast_convert_type(x, it)
    sign = jnp.asarray(np.iinfo(np.dtype(it)).min, it)          # the sign bit alone
    mag = bits & ~sign
    inf = jax.lax.bitcast_convert_type(jnp.asarray(jnp.inf, x.dtype), it)
    inc = jnp.where((bits < 0) == up, jnp.asarray(-1, it), jnp.asarray(1, it))
    nxt = jnp.where(mag == 0, jnp.where(up, jnp.asarray(1, it), sign | 1), bits + inc)
    keep = (mag > inf) | ((mag == inf) & (inc == 1))
    return jax.lax.bitcast_convert_type(jnp.where(keep, bits, nxt), x.dtype)


def _updates(p, q):
    """The update u with p + u == q: q - p, moved by up to _SEARCH units in the last place
    where p + (q - p) misses q; where none hits, q is not reachable from p by an addition,
    and u is q - p. p + u is monotone in u, so the hits lie on the side where p + (q - p)
    falls short of q (above it when p + (q - p) < q, below when it is greater), and the
    nearest of them is the first one met walking away from q - p on that side.
    Elementwise, in XLA, with the arithmetic of ``optax.apply_updates``; an optimization
    barrier keeps XLA from looking through u when it is added to p. (A ``lax.cond`` that
    skips the walk when nothing misses cost more than it saved: in a real step some
    element almost always misses.)"""
    u = q - p
    ok = ((p + u) == q) | jnp.isnan(q)

    up = p + u < q
    best, c = u, u
    for _ in range(_SEARCH):
        c = _next_toward(c, up)
        hit = ~ok & ((p + c) == q)
        best = jnp.where(hit, c, best)
        ok = ok | hit
    return jax.lax.optimization_barrier(best)


_HOSTS: dict = {}
_HOSTS_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------------
# The crossing: an XLA FFI call (in place, no copies), or jax.pure_callback
# ---------------------------------------------------------------------------------------
#
# The step runs as a typed XLA FFI custom call whose handler is a ctypes function: XLA
# passes its own buffers (the updated ones aliased input to output, so the step works on
# them in place) and the handler runs the host's step on NumPy views of them. The
# structures below are the prefixes of XLA's FFI C API (xla/ffi/api/c_api.h, shipped
# with jaxlib) that the handler reads. A process whose JAX has no jax.ffi, or where the
# registration fails, or with ADAMKIT_OPTAX_CROSSING=callback, uses jax.pure_callback:
# the same step on copies (JAX copies each argument to the host and each result back).
# Both give the same bits.

_TARGET = "adamkit_optax_step"
_EXT_METADATA, _STAGE_EXECUTE = 1, 3           # XLA_FFI_Extension_Metadata, ..._EXECUTE
_ERR_INVALID_ARGUMENT, _ERR_INTERNAL = 3, 13    # XLA_FFI_Error_Code


class _FfiExtension(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("type", ctypes.c_int),
                ("next", ctypes.c_void_p)]


class _FfiVersion(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("extension_start", ctypes.c_void_p),
                ("major", ctypes.c_int), ("minor", ctypes.c_int)]


class _FfiMetadata(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("api_version", _FfiVersion),
                ("traits", ctypes.c_uint32), ("state_type_id", ctypes.c_int64)]


class _FfiMetadataExtension(ctypes.Structure):
    _fields_ = [("base", _FfiExtension), ("metadata", ctypes.POINTER(_FfiMetadata))]


class _FfiBuffer(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("extension_start", ctypes.c_void_p),
                ("dtype", ctypes.c_int), ("data", ctypes.c_void_p), ("rank", ctypes.c_int64),
                ("dims", ctypes.POINTER(ctypes.c_int64))]


class _FfiSpan(ctypes.Structure):       # XLA_FFI_Args and XLA_FFI_Rets
    _fields_ = [("struct_size", ctypes.c_size_t), ("extension_start", ctypes.c_void_p),
                ("size", ctypes.c_int64), ("types", ctypes.c_void_p),
                ("ptrs", ctypes.POINTER(ctypes.c_void_p))]


class _FfiApi(ctypes.Structure):        # its first fields
    _fields_ = [("struct_size", ctypes.c_size_t), ("extension_start", ctypes.c_void_p),
                ("api_version", _FfiVersion), ("internal_api", ctypes.c_void_p),
                ("error_create", ctypes.c_void_p)]


class _FfiErrorArgs(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("extension_start", ctypes.c_void_p),
                ("message", ctypes.c_char_p), ("errc", ctypes.c_int)]


class _FfiCallFrame(ctypes.Structure):  # up to the results
    _fields_ = [("struct_size", ctypes.c_size_t),
                ("extension_start", ctypes.POINTER(_FfiExtension)),
                ("api", ctypes.POINTER(_FfiApi)), ("ctx", ctypes.c_void_p),
                ("stage", ctypes.c_int), ("args", _FfiSpan), ("rets", _FfiSpan)]


_ERROR_CREATE = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(_FfiErrorArgs))

#: key -> (host, layout, count dtype, lr dtype or None, per leaf, updates mode): what each
#: traced call runs
_CALLS: dict = {}
_CALL_KEYS: dict = {}
#: this process's, passed with each key: a compiled step that another process traced (JAX's
#: persistent compilation cache) has other constants, so it is never taken for this one's
_NONCE = int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF


def _per_leaf_min():
    """The mean leaf size (elements) from which the FFI call takes the gradients and
    parameters leaf by leaf (``ADAMKIT_OPTAX_PER_LEAF_MIN``, default 16384; read when a
    step is traced)."""
    return int(os.environ.get("ADAMKIT_OPTAX_PER_LEAF_MIN", "16384"))


def _register_call(host, layout, count, lr, per_leaf, delta):
    """The key (an int32, passed after ``_NONCE`` as the call's first argument) of this
    host, layout, argument dtypes, way of passing the leaves and where the call puts the
    updates (``delta``, :meth:`_Host._core_ffi`), made at trace time."""
    sig = (np.dtype(jnp.result_type(count)),
           None if lr is None else np.dtype(jnp.result_type(lr)), bool(per_leaf), delta)
    ident = (id(host), tuple((str(dt), tuple(e), t) for dt, e, t in layout.groups), sig)
    with _HOSTS_LOCK:
        if ident not in _CALL_KEYS:
            _CALL_KEYS[ident] = len(_CALLS)
            _CALLS[len(_CALLS)] = (host, layout, *sig)
        return _CALL_KEYS[ident]


_MEMORY = ctypes.pythonapi.PyMemoryView_FromMemory      # (char *, Py_ssize_t, flags)
_MEMORY.restype = ctypes.py_object
_MEMORY.argtypes = (ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int)
_PyBUF_WRITE = 0x200


def _ffi_array(ptrs, i, dtype, size):
    """A NumPy view of XLA's buffer ``ptrs[i]`` (an XLA_FFI_Buffer), which must hold
    ``size`` elements."""
    buf = _FfiBuffer.from_address(ptrs[i])
    n = 1
    for d in range(buf.rank):
        n *= buf.dims[d]
    if n != size:
        raise RuntimeError(f"XLA passed {n} elements where the layout has {size}")
    if size == 0:
        return np.empty(0, dtype)
    return np.frombuffer(_MEMORY(buf.data, size * np.dtype(dtype).itemsize, _PyBUF_WRITE),
                         dtype)


def _ffi_handler(frame_p):
    """XLA's call of the step: answers the metadata query, and runs the step on XLA's
    buffers; an exception becomes an XLA error (raised to the caller as JAX's runtime
    error, with the exception's type and message)."""
    frame = frame_p.contents
    if frame.extension_start and frame.extension_start.contents.type == _EXT_METADATA:
        md = ctypes.cast(frame.extension_start,
                         ctypes.POINTER(_FfiMetadataExtension)).contents.metadata.contents
        version = frame.api.contents.api_version
        md.api_version.major, md.api_version.minor = version.major, version.minor
        md.traits = 0
        return None
    if frame.stage != _STAGE_EXECUTE:
        return None
    try:
        args, rets = frame.args.ptrs, frame.rets.ptrs
        nonce, key = (int(x) for x in _ffi_array(args, 0, np.int32, 2))
        if nonce != _NONCE:
            raise RuntimeError("this compiled step was traced in another process (JAX's "
                               "persistent compilation cache?); trace it again here")
        host, layout, count_dtype, lr_dtype, per_leaf, delta = _CALLS[key]
        count = _ffi_array(args, 1, count_dtype, 1)[0]
        lr = None if lr_dtype is None else _ffi_array(args, 2, lr_dtype, 1)[0]
        first = 2 + (lr_dtype is not None)
        parts = [(dt, size) for dt, _, size in layout.leaves()] if per_leaf else \
            [(dt, total) for dt, _, total in layout.groups]
        m, k = len(parts), len(layout.groups)
        grads = [_ffi_array(args, first + i, dt, size) for i, (dt, size) in enumerate(parts)]
        q = [_ffi_array(rets, i, dt, size) for i, (dt, size) in enumerate(parts)]
        bufs = {name: [_ffi_array(rets, m + j * k + i, dt, total)
                       for i, (dt, _, total) in enumerate(layout.groups)]
                for j, name in enumerate(host.names)}
        host.step_in_place(layout, count, lr, grads, q, bufs, per_leaf=per_leaf)
        if delta is not None:
            rest = m + len(host.names) * k          # the parameters given, the updates
            for i, (dt, size) in enumerate(parts):
                u = q[i] if delta == "over" else _ffi_array(rets, rest + i, dt, size)
                _kernels.exact_updates(_ffi_array(args, first + m + rest + i, dt, size),
                                       q[i], u, _DELTA[0], _SEARCH, host.threads)
        return None
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to XLA
        code = _ERR_INVALID_ARGUMENT if isinstance(exc, (ValueError, TypeError)) \
            else _ERR_INTERNAL
        err = _FfiErrorArgs(ctypes.sizeof(_FfiErrorArgs), None,
                            f"adamkit.optax update: {type(exc).__name__}: {exc}".encode(),
                            code)
        return _ERROR_CREATE(frame.api.contents.error_create)(ctypes.byref(err))


_HANDLER = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(_FfiCallFrame))(_ffi_handler)
_FFI_STATE: list = []      # [target name or None], once registered (or not)


_DELTA: list = []           # [None, or the FTZ mode of XLA's additions], once found


def _delta_ftz():
    """Whether the FFI call computes the updates too (on the host, adam_c/src/delta.c,
    where the parameters already are: one pass) rather than XLA (:func:`_updates`): None
    where it cannot, else the mode XLA's CPU code adds in (True: flush-to-zero and
    denormals-are-zero), as one jitted product shows. ADAMKIT_OPTAX_UPDATES=xla keeps
    :func:`_updates`."""
    with _HOSTS_LOCK:
        if not _DELTA:
            # compiled and run by XLA on the CPU (the FFI call's platform) whatever the
            # context: while tracing, under jax.disable_jit, with a transfer guard
            cpu = jax.devices("cpu")[0]
            with jax.ensure_compile_time_eval(), jax.disable_jit(False), \
                    jax.transfer_guard("allow"):
                x = jax.device_put(np.float32(np.finfo(np.float32).tiny), cpu)
                flushes = float(jax.jit(lambda x: x * 0.5)(x)) == 0.0
            _DELTA.append(None if flushes and not _kernels.HAVE_FTZ else flushes)
    if os.environ.get("ADAMKIT_OPTAX_UPDATES", "host") == "xla":
        return None
    return _DELTA[0]


def _ffi_target():
    """The FFI target's name, registered at the first call; None where the step crosses
    with jax.pure_callback (ADAMKIT_OPTAX_CROSSING=callback, or no usable jax.ffi)."""
    if os.environ.get("ADAMKIT_OPTAX_CROSSING", "ffi") == "callback":
        return None
    with _HOSTS_LOCK:
        if not _FFI_STATE:
            try:
                jax.ffi.register_ffi_target(_TARGET, jax.ffi.pycapsule(_HANDLER),
                                            platform="cpu")
                _FFI_STATE.append(_TARGET)
            except Exception:  # noqa: BLE001 - an older or different JAX: the callback
                _FFI_STATE.append(None)
        return _FFI_STATE[0]


def _host(spec, lr, keywords, n_threads):
    """A cached host (inject_hyperparams calls the factory at every update)."""
    try:
        key = (spec.cls_name, spec.preset, lr, tuple(sorted(keywords.items())), n_threads)
        hash(key)
    except TypeError:
        return _Host(spec, lr, keywords, n_threads)
    with _HOSTS_LOCK:
        host = _HOSTS.get(key)
        if host is None:
            if len(_HOSTS) >= 64:
                _HOSTS.pop(next(iter(_HOSTS)))
            host = _HOSTS[key] = _Host(spec, lr, keywords, n_threads)
        return host


# ---------------------------------------------------------------------------------------
# The transformation
# ---------------------------------------------------------------------------------------

def _is_tracer(x):
    return isinstance(x, jax.core.Tracer)


def _transformation(cls_name, learning_rate, preset, carry_params, n_threads, hp):
    given = dict(hp)
    schedule = None
    if learning_rate is not None:
        if isinstance(learning_rate, Schedule) or (isinstance(learning_rate, numbers.Real)
                                                    and not isinstance(learning_rate, bool)):
            given["lr"] = learning_rate
        else:
            schedule = learning_rate      # an optax schedule, or a (traced) jax value
    spec = _frameworks.Spec(cls_name, preset, given)
    if schedule is not None and ({"lr", spec.lr_name} & set(hp)):
        raise TypeError(f"the learning rate is given twice (learning_rate and "
                        f"{sorted({'lr', spec.lr_name} & set(hp))})")
    keywords = {k: _frameworks.plain(v) for k, v in spec.keywords.items()}
    lr = spec.lr if schedule is None else 1e-3      # a placeholder: set at every step
    host = _host(spec, lr, keywords, n_threads)
    names = STATE_NAMES[spec.family]
    carry = bool(carry_params)

    def init_fn(params):
        leaves = jax.tree.leaves(params)
        _check_leaves(leaves, "params")
        layout = _Layout(leaves)
        buffers = {names[name]: tuple(jnp.full((total,), host.initial[name], dt)
                                      for dt, _, total in layout.groups)
                   for name in host.names}
        count = jnp.zeros([], jnp.int32)
        if not carry:
            return AdamkitState(count, buffers)
        copy = lambda: tuple(jnp.array(x, copy=True) for x in layout.flatten(leaves))  # noqa: E731
        return AdamkitState(count, buffers, copy(), copy())

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError(f"adamkit.optax.{cls_name.lower()}: update() needs params (the "
                             "framework's update is computed from them)")
        g, treedef = jax.tree.flatten(updates)
        try:
            p = treedef.flatten_up_to(params)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"updates and params must have one tree structure "
                             f"({treedef}): {exc}") from None
        _check_leaves(p, "params")
        layout = _Layout(p)
        want = [(total,) for _, _, total in layout.groups]
        try:
            bufs = {name: tuple(state.buffers[names[name]]) for name in host.names}
            carried = [] if not carry else [tuple(state.params), tuple(state.applied)]
            flats = [x for b in bufs.values() for x in b] + [x for c in carried for x in c]
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"not the state of this transformation: {exc!r}") from None
        if any(tuple(jnp.shape(x)) != want[i % len(want)] for i, x in enumerate(flats)) or \
                len(flats) != len(want) * (len(bufs) + len(carried)):
            raise ValueError(f"the state was made for other parameters (flat arrays "
                             f"{[tuple(jnp.shape(x)) for x in flats]}, these need "
                             f"{want} per buffer)")
        for i, (a, b) in enumerate(zip(g, p)):
            if jnp.shape(a) != jnp.shape(b) or jnp.result_type(a) != jnp.result_type(b):
                raise ValueError(f"leaf {i}: the gradient is {jnp.result_type(a)} "
                                 f"{jnp.shape(a)}, the parameter {jnp.result_type(b)} "
                                 f"{jnp.shape(b)}")
        lr = None
        if schedule is not None:
            lr = jnp.asarray(schedule(state.count) if callable(schedule) else schedule)
        args = (state.count, lr, g, p, bufs, carried)
        if any(_is_tracer(x) for x in jax.tree.leaves(args)):
            res = host._core(layout, *args)
        else:                       # eagerly: the same, compiled once per tree of arrays
            res = host.core(_Static(layout), *args)
        u, out, extra = res
        new = AdamkitState(state.count + jnp.asarray(1, jnp.int32),
                           {names[name]: out[name] for name in host.names})
        if carry:
            new = new._replace(params=extra[0], applied=extra[1])
        return treedef.unflatten(u), new

    return optax.GradientTransformation(init_fn, update_fn)


def _check_leaves(leaves, what):
    for i, x in enumerate(leaves):
        dt = np.dtype(jnp.result_type(x))
        if dt not in _FLOATS:
            raise TypeError(f"{what} leaf {i} is {dt}; adamkit updates float32 and float64 "
                            "arrays (float64 needs jax_enable_x64)")


_DOC = """{what}, as ``preset``'s framework computes it, as an optax transformation.

    Parameters
    ----------
    learning_rate : float, optax schedule, adamkit schedule or jax scalar, optional
        The learning rate. A float (or an ``adamkit.schedules`` schedule) is used exactly
        as the preset's framework rounds it; an optax schedule is evaluated in JAX at each
        step (``schedule(count)``, count = steps taken) and its value passed to the core.
        Default: the preset's.
    preset : str or None (required)
        The framework whose update runs, bit for bit (``"optax"``, ``"tensorflow"``,
        ``"keras"``, ``"pytorch"``, ...); None for adamkit's own rule.
    carry_params : bool, default True
        Keep the framework's parameters in the state (see the module's documentation):
        exact trajectories for every preset, at the cost of two parameter-sized arrays.
    n_threads : int or None
        OpenMP threads of the C core (the bits do not depend on it).
    **hyperparameters
        The preset's keywords under its framework's names or adamkit's (``b1``/``betas``,
        ``eps``, ...), plus ``maximize``.

    Returns
    -------
    optax.GradientTransformation
        Its ``update(updates, state, params)`` needs ``params``.
    """


def _make(cls_name, what):
    def factory(learning_rate=None, *, preset, carry_params=True, n_threads=None,
                **hyperparameters) -> optax.GradientTransformation:
        extra = hyperparameters.get("hyperparameters")
        if isinstance(extra, dict):   # optax.inject_hyperparams passes **kwargs by name
            hyperparameters = {**{k: v for k, v in hyperparameters.items()
                                  if k != "hyperparameters"}, **extra}
        return _transformation(cls_name, learning_rate, preset, carry_params, n_threads,
                               hyperparameters)
    factory.__name__ = factory.__qualname__ = cls_name.lower()
    factory.__doc__ = _DOC.format(what=what)
    return factory


adam = _make("Adam", "Adam (``amsgrad=True``: AMSGrad)")
adamw = _make("AdamW", "Adam with decoupled weight decay")
adamax = _make("AdaMax", "AdaMax")
rmsprop = _make("RMSProp", "RMSProp")
