"""Scalar recipes compiled to straight-line programs that C runs at every step.

A preset's scalar recipe (``Rule.scalars(hp, t, lr, f32)``) is written once, in Python,
as the framework computes its scalars. Most of what it does depends on the
hyper-parameters only; what depends on the step count ``t`` and the learning rate ``lr``
is a short sequence of float operations. :func:`compile_recipe` runs the recipe once
with ``t`` and ``lr`` replaced by :class:`Sym` values that record every operation on
them (and the rounding each one has: a float32 operation, a double one, a libm call),
and returns the :class:`Program` the step then runs in C (``_recipe.h``), without Python.

The recording follows Python's and NumPy's (NEP 50) rules: a Python float or int is
"weak" and takes the type of a NumPy scalar it meets; ``np.float32`` operations round
to float32, ``np.float64`` and Python float ones to double. Anything whose result would
depend on the value of ``t`` or ``lr`` in a way not recorded (a comparison, a branch,
``float()``, ``int()``, an operation not in the table) raises :class:`Untraceable`, and
the rule keeps its Python recipe. ``tests/test_recipes.py`` checks every preset's
program against its recipe, bit for bit, over many steps and learning rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The operations of a program, as _recipe.h numbers them. Each instruction is
# (op, dst, a, b, c) over double registers; float32 values are held exactly as doubles.
OPS = ("add64", "sub64", "mul64", "div64", "add32", "sub32", "mul32", "div32",
       "sqrt64", "sqrt32", "pow64", "pow32", "fma64", "fma32", "exp64", "exp32",
       "cos64", "cos32", "to32", "neg", "ftz64", "ftz32", "mklsqrt64", "mklsqrt32",
       "prod32", "mxparse64", "mxparse32")
MEM_SLOTS = 4             # AK_MEM_SLOTS: running products a program can hold
OP = {name: i for i, name in enumerate(OPS)}
MAX_REGS = 256            # R_MAX in _recipe.h
T_REG, LR_REG = 0, 1      # the inputs


class Untraceable(Exception):
    """The recipe does something with t or lr that a program cannot record."""


class _Tape:
    """The instructions and constants recorded so far."""

    def __init__(self):
        self.code: list[tuple[int, int, int, int, int]] = []
        self.consts: dict[tuple[float, bool], int] = {}
        self.const_values: list[tuple[int, float]] = []
        self.nregs = 2

    def reg(self) -> int:
        if self.nregs >= MAX_REGS:
            raise Untraceable("the recipe needs more than 256 registers")
        self.nregs += 1
        return self.nregs - 1

    def const(self, value: float) -> int:
        key = (value, math.copysign(1.0, value) < 0)          # keep -0.0 apart from 0.0
        if key not in self.consts:
            r = self.consts[key] = self.reg()
            self.const_values.append((r, value))
        return self.consts[key]

    def emit(self, op: str, a: int, b: int = 0, c: int = 0) -> int:
        dst = self.reg()
        self.code.append((OP[op], dst, a, b, c))
        return dst


# The kinds of value: "f32" (np.float32), "f64" (np.float64), "py" (a Python float or
# int: weak, it takes the type of the NumPy scalar it meets).
def _kind_of(x) -> str:
    if isinstance(x, Sym):
        return x.kind
    if isinstance(x, np.float32):
        return "f32"
    if isinstance(x, np.float64):
        return "f64"
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float)):
        raise Untraceable(f"an operation with {type(x).__name__}")
    return "py"


def _result_kind(a: str, b: str) -> str:
    if "f64" in (a, b):
        return "f64"
    if "f32" in (a, b):
        return "f32"
    return "py"


class Sym:
    """A recorded scalar: a register of the program and the kind of value it holds."""

    __slots__ = ("tape", "r", "kind")

    def __init__(self, tape: _Tape, r: int, kind: str):
        self.tape, self.r, self.kind = tape, r, kind

    # -- operands ---------------------------------------------------------------------
    def _reg(self, x, kind: str) -> int:
        """x's register as a value of ``kind`` (a weak Python number takes it)."""
        if isinstance(x, Sym):
            if x.kind == "py" and kind == "f32":           # a weak value meets float32
                return self.tape.emit("to32", x.r)
            return x.r
        value = float(x)
        if kind == "f32" and _kind_of(x) == "py":
            value = float(np.float32(value))
        return self.tape.const(value)

    def _binary(self, name: str, a, b) -> Sym:
        kind = _result_kind(_kind_of(a), _kind_of(b))
        ra, rb = self._reg(a, kind), self._reg(b, kind)
        op = name + ("32" if kind == "f32" else "64")
        return Sym(self.tape, self.tape.emit(op, ra, rb), kind)

    def __add__(self, o): return self._binary("add", self, o)
    def __radd__(self, o): return self._binary("add", o, self)
    def __sub__(self, o): return self._binary("sub", self, o)
    def __rsub__(self, o): return self._binary("sub", o, self)
    def __mul__(self, o): return self._binary("mul", self, o)
    def __rmul__(self, o): return self._binary("mul", o, self)
    def __truediv__(self, o): return self._binary("div", self, o)
    def __rtruediv__(self, o): return self._binary("div", o, self)

    def __neg__(self):
        return Sym(self.tape, self.tape.emit("neg", self.r), self.kind)

    def __pow__(self, o):
        return _py_pow(self, o)

    def __rpow__(self, o):
        return _py_pow(o, self)

    # NumPy scalars meeting a Sym (np.float32(0.9) * t, np.sqrt(x)) come here
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs:
            raise Untraceable(f"np.{ufunc.__name__}.{method}")
        binary = {np.add: "add", np.subtract: "sub", np.multiply: "mul",
                  np.true_divide: "div"}
        if ufunc in binary:
            return self._binary(binary[ufunc], *inputs)
        if ufunc is np.sqrt:
            (x,) = inputs
            kind = "f32" if x.kind == "f32" else "f64"      # np.sqrt(float) is np.float64
            return Sym(self.tape, self.tape.emit("sqrt32" if kind == "f32" else "sqrt64",
                                                 x.r), kind)
        if ufunc is np.negative:
            return -inputs[0]
        raise Untraceable(f"np.{ufunc.__name__}")

    # -- anything that would need the value ------------------------------------------
    def _untraceable(self, *args):
        raise Untraceable("the recipe needs the value of t or lr (a comparison, a branch, "
                          "a conversion)")

    __bool__ = __float__ = __int__ = __index__ = __abs__ = _untraceable
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _untraceable
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __round__ = _untraceable
    __str__ = __format__ = _untraceable           # MXNet parses str(lr_t) (dmlc ParseFloat)
    __hash__ = None  # type: ignore[assignment]


def _py_pow(a, b) -> Sym:
    """``a ** b`` with Python floats (libm pow); NumPy's power is not recorded."""
    if _kind_of(a) != "py" or _kind_of(b) != "py":
        raise Untraceable("** on NumPy scalars")
    s = a if isinstance(a, Sym) else b
    return Sym(s.tape, s.tape.emit("pow64", s._reg(a, "py"), s._reg(b, "py")), "py")


# -- the helpers of _floats, for recorded values ------------------------------------------

def to32(x) -> Sym:
    """np.float32(x)."""
    return Sym(x.tape, x.r if x.kind == "f32" else x.tape.emit("to32", x.r), "f32")


def to_py(x) -> Sym:
    """float(x): exact."""
    return Sym(x.tape, x.r, "py")


def call(name: str, *args, f32: bool, kind: str | None = None, c: int = 0) -> Sym:
    """A libm call (``name`` + 32/64) on the arguments, converted to float (f32) or
    double; the result has ``kind`` (by default the buffer type's: np.float32 or a
    Python float). ``c`` is an immediate third operand (mklsqrt's estimate)."""
    s = next(a for a in args if isinstance(a, Sym))
    regs = []
    for a in args:
        if isinstance(a, Sym):
            regs.append(s.tape.emit("to32", a.r) if f32 and a.kind != "f32" else a.r)
        else:
            regs.append(s.tape.const(float(np.float32(a)) if f32 else float(a)))
    regs += [0] * (3 - len(regs))
    if c:
        regs[len(args)] = c
    op = name + ("32" if f32 else "64")
    return Sym(s.tape, s.tape.emit(op, *regs), kind or ("f32" if f32 else "py"))


def running_product(beta: float, t: Sym) -> Sym:
    """The t-th element of the float32 running product of beta (beta, beta*beta, ...),
    each product flushed to zero below FLT_MIN (TF1's beta-power variables). The
    program keeps its last (t, product) in a memory slot, so a step costs one multiply."""
    tape = t.tape
    slot = sum(1 for row in tape.code if row[0] == OP["prod32"])
    if slot >= MEM_SLOTS:
        raise Untraceable("more running products than memory slots")
    return Sym(tape, tape.emit("prod32", tape.const(float(np.float32(beta))), t.r, slot), "f32")


def dmlc_parse_of_str(x: Sym, f32: bool) -> Sym:
    """dmlc::ParseFloat<float> (f32) or <double> of ``str(x)`` for a Python float x (how
    MXNet's Python front end hands a scalar to its C++ ops): CPython's repr and the parse
    are both done in C (_recipe.h); the result is np.float32 or a Python float."""
    if x.kind != "py":
        raise Untraceable("str() of a NumPy scalar")
    return Sym(x.tape, x.tape.emit("mxparse32" if f32 else "mxparse64", x.r),
               "f32" if f32 else "py")


# -- compiling -------------------------------------------------------------------------

@dataclass(frozen=True)
class Program:
    """A compiled recipe: ``code`` (op, dst, a, b, c) rows, the constants' registers and
    values, and for each scalar field set by the recipe its register."""
    code: np.ndarray              # int32, shape (k, 5)
    consts: np.ndarray            # float64, shape (nregs,): the constants in place
    outputs: np.ndarray           # int32, shape (nscalars,): a register per field
    nregs: int


def compile_recipe(scalars, hp: dict, f32: bool, names: tuple[str, ...],
                   strict: bool = False) -> Program | None:
    """Record ``scalars(hp, t, lr, f32)`` as a program; None when it cannot be recorded
    (``strict``: raise :class:`Untraceable` saying why).

    ``names`` are the family's scalar fields in order (``_vocab.SCALARS[family]``); a
    field the recipe leaves out is 0, as in the Python path.
    """
    tape = _Tape()
    t, lr = Sym(tape, T_REG, "py"), Sym(tape, LR_REG, "py")
    try:
        values = scalars(hp, t, lr, f32)
        outputs = np.zeros(len(names), np.int32)
        zero = None
        for i, name in enumerate(names):
            if name in values:
                v = values[name]
                outputs[i] = v.r if isinstance(v, Sym) else tape.const(float(v))
            else:
                zero = tape.const(0.0) if zero is None else zero
                outputs[i] = zero
        unknown = set(values) - set(names)
        if unknown:
            raise Untraceable(f"unknown scalars {sorted(unknown)}")
    except Untraceable:
        if strict:
            raise
        return None
    consts = np.zeros(tape.nregs, np.float64)
    for r, value in tape.const_values:
        consts[r] = value
    code = np.array(tape.code, np.int32).reshape(-1, 5)
    return Program(code, consts, outputs, tape.nregs)
