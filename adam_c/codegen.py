"""Code generated from the contract, adam_c.h, at build time (meson custom targets).

adam_c.h is the one place where the ops vocabulary is written by hand: every stage of an
update is a field of an ops struct, every value of a field an enum constant whose comment
gives its exact IEEE operation sequence. Everything else that must agree with it is made
from it here, so nothing can drift:

    python adam_c/codegen.py vocab     HEADER OUT.py             adamkit._vocab
    python adam_c/codegen.py pxd       HEADER TEMPLATE OUT.pxd   adamkit/cython_adam.pxd
    python adam_c/codegen.py fortran   HEADER TEMPLATE OUT.f90   adam_c.f90
    python adam_c/codegen.py limits    HEADER OUT.h              every ops field's range
    python adam_c/codegen.py instances HEADER PKGDIR OUT.h       the specialised loops
    python adam_c/codegen.py sources   PKGDIR                    what instances reads

The header follows a strict layout, which ``read_header`` checks as it parses:

* ``enum { ADAM_C_<PREFIX>_<NAME> = <int>, /* doc */ ... };`` -- one block per prefix;
* ``typedef struct adam_c_<family>_ops { int <field>; /* ADAM_C_<PREFIX>_* ... */ ... }``:
  an int field names its enum prefix in its comment, or is a 0/1 flag ("0 or 1", "0, or
  1"), or shares the meaning of the Adam field of the same name ("as for Adam");
* ``typedef struct adam_c_<family>_scalars { double <a>, <b>; ... }``: doubles only.

Only the standard library is used: this runs in the build environment.
"""

import dataclasses
import pprint
import re
import sys

FAMILIES = ("adam", "rmsprop")


@dataclasses.dataclass
class Field:
    name: str
    enum: str = None          # the enum prefix (e.g. "M" for ADAM_C_M_*), or None
    flag: bool = False        # a 0/1 switch
    doc: str = ""


@dataclasses.dataclass
class Header:
    status: list              # [(NAME, value, doc)]
    enums: dict               # prefix -> [(NAME, value, doc)], in header order
    ops: dict                 # family -> [Field]
    scalars: dict             # family -> [name]


def _strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _entries(block):
    """(NAME, value, doc) of each ``ADAM_C_NAME = value, /* doc */`` in an enum body."""
    out = []
    for m in re.finditer(r"\b(ADAM_C_[A-Z0-9_]+)\s*=\s*(-?\d+)\s*,?\s*(/\*(.*?)\*/)?",
                         block, re.S):
        doc = " ".join((m.group(4) or "").split())
        out.append((m.group(1), int(m.group(2)), doc))
    return out


def read_header(path):
    """Parse adam_c.h into a :class:`Header`; raise ``ValueError`` where it strays from the
    layout the module docstring describes."""
    text = open(path, encoding="utf-8").read()
    status_block = re.search(r"typedef enum adam_c_status \{(.*?)\} adam_c_status;", text, re.S)
    if not status_block:
        raise ValueError(f"{path}: no adam_c_status enum")
    status = [(n[len("ADAM_C_"):], v, d) for n, v, d in _entries(status_block.group(1))]
    enums = {}
    for block in re.findall(r"\benum \{(.*?)\};", text, re.S):
        entries = _entries(block)
        if not entries:
            continue
        names = [n[len("ADAM_C_"):] for n, _, _ in entries]
        prefix = names[0].split("_")[0]
        if any(not n.startswith(prefix + "_") for n in names):
            raise ValueError(f"{path}: an enum block mixes prefixes: {names}")
        if prefix in enums:
            raise ValueError(f"{path}: two enum blocks with prefix {prefix}")
        values = [v for _, v, _ in entries]
        if values != list(range(len(values))):
            raise ValueError(f"{path}: enum {prefix} is not 0, 1, 2, ...: {values}")
        enums[prefix] = [(n[len(prefix) + 1:], v, d) for n, (_, v, d) in zip(names, entries)]
    ops, scalars = {}, {}
    for family in FAMILIES:
        body = _struct_body(text, f"adam_c_{family}_ops", path)
        fields = []
        for ctype, names, comment in _declarations(body):
            if ctype != "int":
                raise ValueError(f"{path}: ops fields are ints, not {ctype} ({names})")
            ref = re.search(r"ADAM_C_([A-Z0-9]+)_\*", comment)
            for name in names:
                if ref:
                    fields.append(Field(name, enum=ref.group(1), doc=comment))
                elif re.match(r"0,? or 1", comment):
                    fields.append(Field(name, flag=True, doc=comment))
                elif "as for Adam" in comment and family != "adam":
                    base = next(f for f in ops["adam"] if f.name == name)
                    fields.append(dataclasses.replace(base))
                else:
                    raise ValueError(f"{path}: ops field {family}.{name} names no enum")
        for f in fields:
            if f.enum is not None and f.enum not in enums:
                raise ValueError(f"{path}: {family}.{f.name} refers to unknown ADAM_C_{f.enum}_*")
        ops[family] = fields
        body = _struct_body(text, f"adam_c_{family}_scalars", path)
        names = []
        for ctype, decl_names, _ in _declarations(body):
            if ctype != "double":
                raise ValueError(f"{path}: scalar fields are doubles, not {ctype}")
            names += decl_names
        scalars[family] = names
    return Header(status, enums, ops, scalars)


def _struct_body(text, name, path):
    m = re.search(r"typedef struct %s \{(.*?)\} %s;" % (name, name), text, re.S)
    if not m:
        raise ValueError(f"{path}: no struct {name}")
    return m.group(1)


def _declarations(body):
    """(ctype, [names], comment) of each declaration in a struct body; a comment that
    follows a declaration (possibly over several lines) belongs to it."""
    out = []
    pos = 0
    code = _strip_comments(body)
    for stmt in code.split(";"):
        stmt = stmt.strip()
        if not stmt:
            continue
        ctype, names = stmt.split(None, 1)
        names = [n.strip() for n in names.split(",")]
        # the comment after this declaration in the original text
        at = body.find(names[-1] + ";", pos)
        pos = at + len(names[-1]) + 1
        m = re.match(r"\s*/\*(.*?)\*/", body[pos:], re.S)
        comment = " ".join(m.group(1).split()) if m else ""
        out.append((ctype, names, comment))
    return out


# ---------------------------------------------------------------------------------------
# adamkit._vocab
# ---------------------------------------------------------------------------------------

def python_module(h):
    lines = ['"""The ops vocabulary of the C core, generated from adam_c.h at build time',
             "(adam_c/codegen.py). Do not edit: change adam_c.h.",
             "",
             "``OPS[family]`` lists the ops struct's fields in order as ``(name, enum prefix or",
             "None for a 0/1 flag)``; ``SCALARS[family]`` the scalar struct's fields; ``ENUMS``",
             "maps each prefix to its values; ``DOC`` gives every constant's equation; and every",
             'value is a module constant named as in the header without "ADAM_C_"',
             '(``M_LERP_FMA``, ``RU_X_RSQRT_XLA``, ...)."""',
             ""]
    lines.append("STATUS = " + _py({n: v for n, v, _ in h.status}))
    lines.append("ENUMS = " + _py({p: {n: v for n, v, _ in e} for p, e in h.enums.items()}))
    lines.append("OPS = " + _py({fam: tuple((f.name, f.enum) for f in fields)
                                 for fam, fields in h.ops.items()}))
    lines.append("SCALARS = " + _py({fam: tuple(names) for fam, names in h.scalars.items()}))
    doc = {f"{p}_{n}": d for p, e in h.enums.items() for n, _, d in e}
    doc.update({f"{fam}.{f.name}": f.doc for fam, fields in h.ops.items() for f in fields})
    lines.append("DOC = " + _py(doc))
    lines.append("")
    for prefix, entries in h.enums.items():
        for name, value, _ in entries:
            lines.append(f"{prefix}_{name} = {value}")
    return "\n".join(lines) + "\n"


def _py(obj):
    return pprint.pformat(obj, width=96, sort_dicts=False)


# ---------------------------------------------------------------------------------------
# cython_adam.pxd and adam_c.f90: the constants and structs spliced into a template
# ---------------------------------------------------------------------------------------

def _all_constants(h):
    yield [(f"ADAM_C_{n}", v) for n, v, _ in h.status]
    for prefix, entries in h.enums.items():
        yield [(f"ADAM_C_{prefix}_{n}", v) for n, v, _ in entries]


def pxd(h, template):
    consts = []
    for block in _all_constants(h):
        consts.append("cdef enum:")
        consts += [f"    {n} = {v}" for n, v in block]
        consts.append("")
    structs = []
    for fam in FAMILIES:
        structs.append(f"ctypedef struct adam_c_{fam}_ops:")
        structs += [f"    int {f.name}" for f in h.ops[fam]]
        structs.append("")
        structs.append(f"ctypedef struct adam_c_{fam}_scalars:")
        structs += [f"    double {n}" for n in h.scalars[fam]]
        structs.append("")
    return _splice(template, {"CONSTANTS": "\n".join(consts).rstrip(),
                              "STRUCTS": "\n".join(structs).rstrip()})


def fortran(h, template):
    consts = []
    for block in _all_constants(h):
        consts += [f"    integer(c_int), parameter :: {n} = {v}" for n, v in block]
        consts.append("")
    types = []
    for fam in FAMILIES:
        types.append(f"    type, bind(c) :: adam_c_{fam}_ops")
        types += [f"        integer(c_int) :: {f.name}" for f in h.ops[fam]]
        types.append(f"    end type adam_c_{fam}_ops")
        types.append("")
        types.append(f"    type, bind(c) :: adam_c_{fam}_scalars")
        types += [f"        real(c_double) :: {n}" for n in h.scalars[fam]]
        types.append(f"    end type adam_c_{fam}_scalars")
        types.append("")
    return _splice(template, {"CONSTANTS": "\n".join(consts).rstrip(),
                              "TYPES": "\n".join(types).rstrip()})


def _splice(template, parts):
    text = open(template, encoding="utf-8").read()
    for key, value in parts.items():
        mark = f"@{key}@"
        if text.count(mark) != 1:
            raise ValueError(f"{template}: needs exactly one {mark}")
        text = text.replace(mark, value)
    return text


# ---------------------------------------------------------------------------------------
# adam_c_limits.h: the range of every ops field, for the library's check and its tests
# ---------------------------------------------------------------------------------------

def limits(h):
    lines = ["/* adam_c_limits.h -- generated by adam_c/codegen.py from adam_c.h. Do not edit.",
             " * The largest value of each ops field, in struct order (a 0/1 flag: 1); every",
             " * field's smallest value is 0. */",
             "#ifndef ADAM_C_LIMITS_H", "#define ADAM_C_LIMITS_H"]
    for fam in FAMILIES:
        fields = h.ops[fam]
        top = [1 if f.flag else len(h.enums[f.enum]) - 1 for f in fields]
        lines.append(f"#define ADAM_C_{fam.upper()}_OPS_NFIELDS {len(fields)}")
        lines.append(f"static const int adam_c_{fam}_ops_max[{len(fields)}] = "
                     f"{{{', '.join(map(str, top))}}};  /* {', '.join(f.name for f in fields)} */")
    lines.append("#endif")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# instances.h: one specialised loop per distinct ops row the presets use
# ---------------------------------------------------------------------------------------

#: ops fields the run functions clear before they look for a specialised loop (ftz is a
#: mode around the loop; estimate and portable decide, per CPU, which code computes the
#: estimates: kernels.inc, *_key_)
RUNTIME_FIELDS = ("ftz", "estimate", "portable")


def instances(h, pkgdir):
    """The ``ADAM_C_*_INSTANCE`` lines for every row adamkit's rules and presets declare
    (``adamkit.presets.instance_rows()``), loaded from the package source without
    importing its compiled modules."""
    import importlib
    import types
    vocab = types.ModuleType("adamkit._vocab")
    exec(compile(python_module(h), "adamkit/_vocab.py", "exec"), vocab.__dict__)
    pkg = types.ModuleType("adamkit")
    pkg.__path__ = [pkgdir]
    saved = {k: sys.modules.get(k) for k in ("adamkit", "adamkit._vocab")}
    sys.modules["adamkit"], sys.modules["adamkit._vocab"] = pkg, vocab
    finders = sys.meta_path[:]        # an editable install's finder must not step in
    sys.meta_path[:] = [f for f in finders if "adamkit" not in type(f).__module__]
    try:
        rows = importlib.import_module("adamkit.presets._instances").instance_rows()
    finally:
        sys.meta_path[:] = finders
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    lines = ["/* instances.h -- generated by adam_c/codegen.py from the rows that adamkit's",
             " * rules and presets declare (adamkit.presets._instances). Do not edit.",
             " * Each line is one combination of ops values (designated initializers; a field",
             " * left out is 0) that gets its own specialised, vectorizable loop; any other",
             " * combination runs through the generic loop, with identical bits. */"]
    fields = {fam: {f.name: f for f in h.ops[fam]} for fam in FAMILIES}
    seen = set()
    for fam, ops, label in rows:
        key = (fam, tuple(sorted((k, v) for k, v in ops.items()
                                 if v and k not in RUNTIME_FIELDS)))
        if key in seen:
            continue
        seen.add(key)
        inits = []
        for name, value in key[1]:
            f = fields[fam][name]
            if f.enum is None:
                inits.append(f".{name} = {int(value)}")
            else:
                const = next(n for n, v, _ in h.enums[f.enum] if v == value)
                inits.append(f".{name} = ADAM_C_{f.enum}_{const}")
        macro = "ADAM_C_ADAM_INSTANCE" if fam == "adam" else "ADAM_C_RMSPROP_INSTANCE"
        ident = f"i{len(seen)}"
        lines.append(f"/* {label} */")
        lines.append(f"{macro}({ident}{''.join(', ' + i for i in inits)})")
    return "\n".join(lines) + "\n"


def sources(pkgdir):
    """The package files the instance table is generated from (for the build's
    dependency tracking)."""
    import glob
    import os
    return sorted(glob.glob(os.path.join(pkgdir, "presets", "*.py"))) + [
        os.path.join(pkgdir, "_rules.py")]


def main(argv):
    kind, header, *rest = argv
    if kind == "sources":
        print("\n".join(sources(header)))   # noqa: T201  (here: the package directory)
        return
    h = read_header(header)
    if kind == "vocab":
        text, out = python_module(h), rest[0]
    elif kind == "pxd":
        text, out = pxd(h, rest[0]), rest[1]
    elif kind == "fortran":
        text, out = fortran(h, rest[0]), rest[1]
    elif kind == "limits":
        text, out = limits(h), rest[0]
    elif kind == "instances":
        text, out = instances(h, rest[0]), rest[1]
    else:
        raise SystemExit(f"unknown kind {kind!r}")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
