# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""The optimizer core: the one step path of adamkit's optimizer objects.

One step path, downward only: :class:`Core` (the base of the optimizer classes) checks the
arrays of a step (or recognises those of the previous step), computes this step's scalars
(a rule's recipe, or adamkit's own in C) and then runs every array in one call with the GIL
released (the kernels of _kernels.pyx). Nothing is written before every check has passed
and every scalar is known, so a step is all-or-nothing, also under Ctrl-C.
"""

cimport numpy as cnp
from cpython.pythread cimport PyThread_get_thread_ident
from libc.stdint cimport uintptr_t
from libc.math cimport isfinite
from libc.stdlib cimport free, malloc, qsort
from libc.string cimport memset

from ._kernels cimport (
    AK_R_MAX, Kernel, ak_family, ak_ops, ak_scalars, ak_adam_default, ak_rmsprop_default,
    ak_recipe_run, adam_c_strerror, array_ok, check_array, resolve_threads, run_range,
    set_doubles,
)

import numpy as _np

from ._kernels import BUFFERS, T_MAX, effective_n_threads
from ._validation import check_lr, lr_value

cnp.import_array()

cdef int _NT_LIMIT = 1 << 16         # |n_threads| beyond this is clamped before it reaches C
_F32 = _np.dtype(_np.float32)


include "_bind.pxi"        # checking and binding the arrays of a step


# ---------------------------------------------------------------------------------------
# The optimizer core
# ---------------------------------------------------------------------------------------

cdef enum:
    _CS_PY = 0           # the rule's Python scalar recipe
    _CS_ADAM = 1         # adam_c_adam_default
    _CS_RMSPROP = 2      # adam_c_rmsprop_default
    _CS_PROGRAM = 3      # the rule's recipe compiled (presets/_recipe.py, _recipe.h)

#: Whether rules' Python scalar recipes are compiled to programs run in C (presets/_recipe.py),
#: read when an optimizer is made (it keeps that choice, also for the rules it picks later
#: for other arrays); the tests and the bench turn it off to step through the Python recipe.
COMPILE_RECIPES = True

#: How a rule's per-step scalars can be computed in C (Rule.c_scalars), and the
#: hyper-parameters each C function takes after lr, in order.
C_SCALARS = {"adam": ("b1", "b2", "eps", "weight_decay"),
             "rmsprop": ("alpha", "eps", "momentum", "weight_decay")}


cdef class _Guard:
    """``with core._mutating("what"):`` -- one mutation at a time (see Core)."""
    cdef Core core
    cdef str what

    def __enter__(self):
        self.core._enter(self.what)

    def __exit__(self, *exc):
        self.core._leave()
        return False


cdef class Core:
    """The C-level half of adamkit's optimizer objects (``adamkit._optim`` builds on it).

    It holds what a step needs: the step count ``t``, the learning rate, the thread count,
    the rule's kernels (a body row, and a tail row for frameworks whose rounding depends
    on an element's position), the state buffers and the arrays of the last step.

    ``step(params, grads)`` on the arrays of the previous step (or the same parameters
    with new gradient arrays) re-checks only what can change in place; other arrays get
    every check and are bound for the next step. Either way the step then computes its
    scalars and runs every array in one call with the GIL released: all or nothing.

    Every mutation (a step, ``load_state_dict``, setting ``t``, ``lr`` or ``n_threads``)
    takes a guard: another thread gets a RuntimeError, and so does a re-entrant call from
    inside a step (a learning-rate schedule or a gradient-preparation hook).
    """
    cdef long long _t
    cdef object _lr
    cdef double _lr_const
    cdef bint _lr_sched
    cdef object _n_threads
    cdef int _nt                       # 0: the default team (adaptive), resolved per step
    cdef readonly Kernel _body         # the rule's kernels
    cdef readonly Kernel _tail         # None unless the rule has a tail row
    cdef readonly object _rule         # the adamkit._rules.Rule in force
    cdef readonly dict _hp             # its hyper-parameters
    cdef tuple _rule_shapes            # the shapes a per-arrays rule in force was made for
    cdef str _fam_name
    cdef tuple _names                  # the family's buffer names
    cdef int _cmode
    cdef unsigned long long _cmask     # C scalars: the fields this rule reads (checked)
    cdef double _chp[4]
    cdef double _initial               # initial value of RMSProp's mean square
    cdef list _st                      # [{buffer: array}] per parameter array, or None
    cdef _Bound _b
    cdef tuple _mults                  # the lr_mult of the bound step (None: all 1)
    cdef list _keys                    # [(is_float32, multiplier[, array])] of the scalar
                                       # sets (the array: a rule with scalars per array)
    cdef ak_scalars *_sets
    cdef Py_ssize_t _nsets
    cdef long _owner                   # the thread in a mutation (0: none)
    cdef str _doing
    cdef object _prepare               # rule.prepare, or None
    cdef bint *_key_f32                # per scalar set: float32?
    cdef double *_key_mult             #                 its learning-rate multiplier
    cdef readonly tuple _programs      # _CS_PROGRAM: (float64, float32) Programs
    cdef bint _no_programs             # COMPILE_RECIPES was off when this object was made
    cdef const int *_pcode[2]          # their rows (held by _programs), row count,
    cdef long _plen[2]
    cdef const double *_pconst[2]      # constants
    cdef Py_ssize_t _pnconst[2]
    cdef const int *_pout[2]           # and output registers
    cdef double _pmem[2][8]            # their memory slots (running products)

    def __dealloc__(self):
        free(self._sets)
        free(self._key_f32)
        free(self._key_mult)

    # -- the guard -------------------------------------------------------------------------

    cdef int _enter(self, str what) except -1:
        cdef long me = <long>PyThread_get_thread_ident()
        if self._owner != 0:
            if self._owner == me:
                raise RuntimeError(f"{what} called from inside {self._doing} on the same "
                                   "optimizer (re-entrant: e.g. from a learning-rate "
                                   "schedule); this is not allowed")
            raise RuntimeError(f"{what}: {self._doing} is running on this optimizer in "
                               "another thread; use one optimizer per thread")
        self._owner = me
        self._doing = what
        return 0

    cdef void _leave(self) noexcept:
        self._owner = 0

    def _mutating(self, str what):
        """A context manager holding the mutation guard (for the Python layer)."""
        cdef _Guard g = _Guard()
        g.core, g.what = self, what
        return g

    # -- properties --------------------------------------------------------------------------

    @property
    def t(self):
        """The number of steps taken (the next step is t + 1)."""
        return self._t

    @t.setter
    def t(self, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= T_MAX:
            raise ValueError(f"t must be an int in [0, 2**53], got {value!r}")
        with self._mutating("setting t"):
            self._t = value

    @property
    def lr(self):
        """The learning rate: a float >= 0, or a schedule ``lr(t) -> float`` called with
        the number of steps already taken. Checked when set."""
        return self._lr

    @lr.setter
    def lr(self, value):
        value = check_lr(value)
        with self._mutating("setting lr"):
            self._lr_sched = callable(value)
            self._lr_const = 0.0 if self._lr_sched else value
            self._lr = value

    @property
    def n_threads(self):
        """OpenMP threads per step: None follows ``OMP_NUM_THREADS``/threadpoolctl, a
        negative value counts back from it. The bits do not depend on it."""
        return self._n_threads

    @n_threads.setter
    def n_threads(self, value):
        effective_n_threads(value)                      # type and value checks
        with self._mutating("setting n_threads"):
            self._nt = 0 if value is None else max(-_NT_LIMIT, min(_NT_LIMIT, value))
            self._n_threads = value

    @property
    def _kernel(self):
        """The rule's (body) kernel: its ops row says which rounding sequence runs."""
        return self._body

    @property
    def _state(self):
        """The state buffers: a list with one dict of 1-D arrays per parameter array, or
        None before the first step."""
        return self._st

    @_state.setter
    def _state(self, state):
        self._st = state
        self._b = None                  # the binding held pointers to the old buffers

    def _set_loaded(self, long long t, state):
        """Set ``t`` and the state buffers together (load_state_dict, inside its guard)."""
        if self._owner != <long>PyThread_get_thread_ident():
            raise RuntimeError("_set_loaded needs the mutation guard (Core._mutating)")
        self._t, self._st, self._b = t, state, None

    # -- configuration -----------------------------------------------------------------------

    def _configure(self, rule, dict hp, double initial_state=0.0):
        """Use ``rule`` (an ``adamkit._rules.Rule``) with hyper-parameters ``hp``: build its
        kernels and choose how its scalars are computed (in C when ``rule.c_scalars``
        names a C_SCALARS entry, else by its Python recipe)."""
        self._use_rule(rule, hp)
        self._initial = initial_state
        self._st = None
        self._b = None

    cdef int _use_rule(self, object rule, dict hp) except -1:
        body = Kernel(rule.family, dict(rule.ops))
        tail = None if rule.tail_ops is None else Kernel(rule.family,
                                                         {**rule.ops, **rule.tail_ops})
        programs = None
        if rule.c_scalars is None:
            cmode = _CS_PY
            programs = self._compile(rule, hp)
            if programs is not None:
                cmode = _CS_PROGRAM
        elif rule.c_scalars == rule.family and rule.tail_ops is None:
            cmode = _CS_ADAM if rule.family == "adam" else _CS_RMSPROP
            for i, name in enumerate(C_SCALARS[rule.family]):
                self._chp[i] = hp[name]
        else:
            raise ValueError(f"c_scalars {rule.c_scalars!r} does not fit this rule")
        if self._body is not None and body.buffers != self._body.buffers:
            raise ValueError("a rule for other arrays needs other state buffers")
        self._cmask = 0
        if cmode != _CS_PY:                # every field, less weight decay's if unused
            from . import _vocab
            ops = body.ops
            for i, name in enumerate(_vocab.SCALARS[rule.family]):
                if not ((name == "wd" and not ops["grad_decay"])
                        or (name == "dk" and not ops["decoupled"])):
                    self._cmask |= 1ULL << i
        self._body, self._tail, self._rule, self._hp = body, tail, rule, dict(hp)
        self._rule_shapes = None
        self._prepare = rule.prepare
        self._programs = programs
        memset(self._pmem, 0, sizeof(self._pmem))
        if programs is not None:
            for i in range(2):
                self._pcode[i] = <const int *>cnp.PyArray_DATA(programs[i].code)
                self._plen[i] = len(programs[i].code)
                self._pconst[i] = <const double *>cnp.PyArray_DATA(programs[i].consts)
                self._pnconst[i] = len(programs[i].consts)
                self._pout[i] = <const int *>cnp.PyArray_DATA(programs[i].outputs)
        self._fam_name = rule.family
        self._names = BUFFERS[rule.family]
        self._cmode = cmode
        return 0

    cdef object _compile(self, object rule, dict hp):
        """The rule's recipe compiled for float64 and float32 buffers, or None (a rule
        with a ``prepare`` hook or scalars per array, or a recipe that does not record:
        then the Python recipe runs at every step)."""
        if self._body is None:              # the first rule: the object's mode, for good
            self._no_programs = not COMPILE_RECIPES
        if (self._no_programs or rule.prepare is not None or rule.scalars_each
                or rule.scalars is None):
            return None
        from . import _vocab
        from .presets._recipe import compile_recipe
        names = _vocab.SCALARS[rule.family]
        programs = tuple(compile_recipe(rule.scalars, hp, f32, names) for f32 in (False, True))
        if None in programs or max(len(p.consts) for p in programs) > AK_R_MAX:
            return None
        for p in programs:                   # the step reads them through raw pointers
            if not (p.code.dtype == _np.int32 and p.code.flags.c_contiguous
                    and p.outputs.dtype == _np.int32 and p.outputs.flags.c_contiguous
                    and p.consts.dtype == _np.float64 and p.consts.flags.c_contiguous
                    and len(p.outputs) == self._body_nscalars(rule.family)):
                raise ValueError("a compiled recipe has the wrong layout")
        return programs

    cdef Py_ssize_t _body_nscalars(self, str family):
        from . import _vocab
        return len(_vocab.SCALARS[family])

    def _with_rule(self, rule):
        """Use ``rule`` instead of the rule in force, with the same hyper-parameters and
        initial state, before the first step. ``adamkit.mpi``'s sharded optimizer gives
        each piece of an array the rule with that piece's own segments (``split``) and
        the clipping values computed from the whole gradient (``prepare``)."""
        if self._st is not None:
            raise RuntimeError("_with_rule() after the first step")
        with self._mutating("_with_rule()"):
            self._use_rule(rule, self._hp)
            self._b = None

    def _rule_for(self, shapes):
        """The rule for arrays of these shapes updated together (the rule in force unless
        it depends on them, ``Rule.arrays``)."""
        return self._rule if self._rule.arrays is None else self._rule.arrays(tuple(shapes))

    def _new_state(self, cnp.ndarray p):
        """Zeroed state buffers for parameter array p (RMSProp's mean square starts at
        the rule's initial value)."""
        import numpy as np
        return {name: np.full(cnp.PyArray_SIZE(p), self._initial if name == "ms" else 0.0,
                              dtype=p.dtype)
                for name in self._body.buffers}

    # -- the step ------------------------------------------------------------------------------

    def step(self, params, grads, lr_mult=None):
        """Update ``params`` in place from ``grads`` (one array or a list of arrays).

        Every input is checked before anything is written: float32/float64 dtypes that
        match between each parameter and its gradient, equal shapes, C-contiguous buffers,
        writeable parameters, no parameter sharing memory with any other buffer. NaN and
        Inf in gradients are not filtered: they propagate into the state and parameters
        exactly as the update equations say (as every framework does).

        A step is all-or-nothing: every array and ``t`` are updated, or (on an error)
        none. One optimizer must not step from two threads at once (RuntimeError).

        Parameters
        ----------
        params : ndarray or sequence of ndarray
            The parameters (float32 or float64, C-contiguous, writeable), updated in
            place; the same arrays, in the same order, at every step.
        grads : ndarray or sequence of ndarray
            Their gradients: same dtype and shape, one per parameter array.
        lr_mult : sequence of float, optional
            A learning-rate multiplier per array (Caffe's ``lr_mult``).
        """
        self._enter("step()")
        try:
            self._step(params, grads, lr_mult)
        finally:
            self._leave()

    cdef int _step(self, object params, object grads, object lr_mult) except -1:
        cdef _Bound b = self._b
        cdef tuple mults = None
        if lr_mult is not None:
            mults = self._check_mults(lr_mult, params)
        if self._t >= T_MAX:
            raise ValueError("t would pass 2**53, where step counts stop being exact")
        if not (b is not None and b.same_params(params) and b.same_grads(grads)):
            b = self._bind_new(params, grads, mults)
        elif mults != self._mults:
            self._set_keys(b, mults)
        lr = lr_value(self._lr, self._t) if self._lr_sched else self._lr_const
        hp = self._hp
        if self._prepare is not None:
            hp = {**hp, **self._prepare(hp, b.grads)}
        self._compute_scalars(hp, self._t + 1, lr)
        self._run(b)
        self._t += 1
        return 0

    cdef tuple _check_mults(self, object lr_mult, object params):
        from ._validation import check_real
        if isinstance(lr_mult, (str, bytes)) or not hasattr(lr_mult, "__len__"):
            raise TypeError(f"lr_mult must be a sequence of reals, one per array, got "
                            f"{lr_mult!r}")
        mults = tuple(check_real(f"lr_mult[{i}]", x, 0.0) for i, x in enumerate(lr_mult))
        k = 1 if cnp.PyArray_Check(params) else len(params)
        if len(mults) != k:
            raise ValueError(f"lr_mult has {len(mults)} entries for {k} arrays")
        return None if all(m == 1.0 for m in mults) else mults

    cdef _Bound _bind_new(self, object params, object grads, tuple mults):
        """Check new arrays, create the state on the first step, and bind them (nothing
        is kept on error)."""
        cdef list ps = _as_list(params, "params")
        cdef list gs = _as_list(grads, "grads")
        cdef list state = self._st
        for i, p in enumerate(ps):              # a clear error before anything else
            if cnp.PyArray_TYPE(<cnp.ndarray>p) not in (cnp.NPY_FLOAT, cnp.NPY_DOUBLE):
                raise TypeError(f"params[{i}] has dtype {p.dtype}; adamkit updates float32 "
                                "or float64 arrays in place (convert with astype first)")
        if state is None:
            state = [self._new_state(p) for p in ps]
        elif len(state) != len(ps):
            raise ValueError(f"this optimizer holds state for {len(state)} arrays, step() "
                             f"got {len(ps)}")
        else:
            for i, (st, p) in enumerate(zip(state, ps)):
                first = next(iter(st.values()))
                if first.size != p.size or first.dtype != p.dtype:
                    raise ValueError(f"params[{i}] ({p.dtype}, {p.size} elements) does not "
                                     f"match the optimizer state ({first.dtype}, "
                                     f"{first.size})")
        if self._rule.arrays is not None:     # the framework's rule for this set of arrays
            shapes = tuple([p.shape for p in ps])
            if shapes != self._rule_shapes:   # made (and its recipe compiled) once per set
                self._use_rule(self._rule_for(shapes), self._hp)
                self._rule_shapes = shapes
        splits = None
        if self._tail is not None:
            splits = [self._rule.split(p.size, p.dtype == _F32) for p in ps]
        keys, index = self._keys_for(ps, mults)
        b = _bind(ps, gs, state, self._names, self._need(), splits, index)
        b.single = params if cnp.PyArray_Check(params) else None
        self._install_keys(keys)
        self._st, self._b, self._mults = state, b, mults
        return b

    cdef unsigned _need(self):
        return self._body.fam.buffers(&self._body.o)

    cdef tuple _keys_for(self, list ps, tuple mults):
        """The distinct (is_float32, multiplier) scalar sets, in order of first use, and
        each array's set (a dict: linear in the number of arrays)."""
        cdef dict where = {}
        keys, index = [], []
        each = self._rule.scalars_each
        for i, p in enumerate(ps):
            key = (p.dtype == _F32, 1.0 if mults is None else mults[i]) + ((i,) if each else ())
            j = where.get(key)
            if j is None:
                j = where[key] = len(keys)
                keys.append(key)
            index.append(j)
        return keys, index

    cdef int _install_keys(self, list keys) except -1:
        cdef Py_ssize_t k = max(1, len(keys)), j
        cdef ak_scalars *sets = <ak_scalars *>malloc(k * sizeof(ak_scalars))
        cdef bint *f32 = <bint *>malloc(k * sizeof(bint))
        cdef double *mult = <double *>malloc(k * sizeof(double))
        if sets == NULL or f32 == NULL or mult == NULL:
            free(sets)
            free(f32)
            free(mult)
            raise MemoryError()
        memset(sets, 0, k * sizeof(ak_scalars))
        for j in range(len(keys)):
            f32[j], mult[j] = keys[j][0], keys[j][1]
        free(self._sets)
        free(self._key_f32)
        free(self._key_mult)
        self._sets, self._key_f32, self._key_mult = sets, f32, mult
        self._nsets, self._keys = len(keys), keys
        return 0

    cdef int _set_keys(self, _Bound b, tuple mults) except -1:
        keys, index = self._keys_for(b.params, mults)
        self._install_keys(keys)
        for i in range(b.k):
            b.key[i] = index[i]
        self._mults = mults
        return 0

    cdef int _compute_scalars(self, dict hp, long long t, double lr) except -1:
        """This step's scalars for every (dtype, multiplier) set: all of them before any
        array is written (a recipe may raise). A learning rate times its multiplier must
        be finite; so must every scalar that depends on the hyper-parameters, t and the
        learning rate alone (no ``prepare`` hook: a gradient's NaN or Inf that reaches the
        scalars through a clipping norm propagates, as in the framework). A rule with
        scalars per array (``Rule.scalars_each``) has one set per array, its values from
        ``hp["_each"]``."""
        cdef Py_ssize_t j, i
        cdef ak_scalars *s
        cdef int status = 0
        cdef double r[256]
        cdef dict values
        cdef bint f32
        cdef double mult
        for j in range(self._nsets):
            f32, mult = self._key_f32[j], self._key_mult[j]
            s = &self._sets[j]
            if not isfinite(lr * mult):
                raise ValueError(f"step {t}: lr * lr_mult = {lr!r} * {mult!r} is not finite; "
                                 "nothing was written")
            if self._cmode == _CS_ADAM:
                status = ak_adam_default(s, lr * mult, self._chp[0], self._chp[1],
                                         self._chp[2], self._chp[3], t, f32)
            elif self._cmode == _CS_RMSPROP:
                status = ak_rmsprop_default(s, lr * mult, self._chp[0], self._chp[1],
                                            self._chp[2], self._chp[3], f32)
            elif self._cmode == _CS_PROGRAM:
                self._run_program(f32, t, lr * mult, r)
                for i in range(self._body.fam.nscalars):
                    s.d[i] = r[self._pout[f32][i]]
                    if not isfinite(s.d[i]):
                        from . import _vocab
                        self._scalar_error(_vocab.SCALARS[self._fam_name][i], s.d[i], t,
                                           lr * mult, f32)
                continue
            else:
                memset(s, 0, sizeof(ak_scalars))
                hpj = hp if "_each" not in hp else {**hp, **hp["_each"][self._keys[j][2]]}
                values = self._rule.scalars(hpj, t, lr * mult, f32)
                if self._prepare is None:
                    for name, value in values.items():
                        if not isfinite(value):
                            self._scalar_error(name, value, t, lr * mult, f32)
                set_doubles(s, self._fam_name, values)
                continue
            if status != 0:
                raise ValueError(f"step {t}: {adam_c_strerror(status).decode()} (lr={lr * mult!r}, "
                                 f"hyper-parameters {self._hp}); nothing was written")
            for i in range(self._body.fam.nscalars):
                if self._cmask >> i & 1 and not isfinite(s.d[i]):
                    from . import _vocab
                    self._scalar_error(_vocab.SCALARS[self._fam_name][i], s.d[i], t,
                                       lr * mult, f32)
        return 0

    cdef int _run_program(self, bint f32, long long t, double lr, double *r) except -1:
        cdef Py_ssize_t i
        for i in range(self._pnconst[f32]):
            r[i] = self._pconst[f32][i]
        r[0], r[1] = <double>t, lr
        if ak_recipe_run(self._pcode[f32], self._plen[f32], r, self._pmem[f32]) != 0:
            raise RuntimeError("a compiled scalar recipe holds an invalid row")
        return 0

    cdef int _scalar_error(self, str name, double value, long long t, double lr,
                           bint f32) except -1:
        raise ValueError(f"step {t}: the {self._rule.name} rule's scalar {name} = {value} "
                         f"is not finite for {'float32' if f32 else 'float64'} arrays "
                         f"(lr={lr!r}, hyper-parameters {self._hp}); nothing was written")

    cdef int _run(self, _Bound b) except -1:
        """Run every bound array: the body row and the tail row on their segments."""
        cdef int nt = resolve_threads(self._nt)
        cdef bint adaptive = self._nt == 0      # n_threads=None: the adaptive default team
        cdef const ak_family *fam = self._body.fam
        cdef ak_ops *body = &self._body.o
        cdef ak_ops *tail = NULL if self._tail is None else &self._tail.o
        cdef Py_ssize_t i
        cdef int status = 0
        cdef bint f32
        cdef Py_ssize_t j, lo, hi
        with nogil:
            for i in range(b.k):
                f32 = b.type_num[i] == cnp.NPY_FLOAT
                for j in range(b.seg_at[i], b.seg_at[i + 1] - 1):
                    lo, hi = b.seg[j], b.seg[j + 1]
                    if hi > lo:
                        status = status or run_range(
                            fam, body if (j - b.seg_at[i]) % 2 == 0 else tail,
                            &self._sets[b.key[i]], b.ptr + 5 * i, lo, hi - lo, f32, nt,
                            adaptive)
        if status != 0:
            raise RuntimeError(adam_c_strerror(status).decode())
        return 0

