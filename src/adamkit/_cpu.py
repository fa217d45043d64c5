"""The CPU, as the frameworks see it.

Frameworks pick their code by the CPU they run on: OpenBLAS a kernel "core", XLA the
instruction set it compiles for, PyTorch an ATen capability; and the approximation
instructions they compute with (the reciprocal-square-root estimates) are
implementation-defined. The presets ask the framework modules what each framework detects
on a CPU described here, this machine's (:func:`host`) or a recording's (:func:`from_meta`).
"""

import dataclasses
import functools
import os
import platform

__all__ = ["CPU", "host", "from_meta"]


@dataclasses.dataclass(frozen=True)
class CPU:
    """A CPU as ``/proc/cpuinfo`` describes it: vendor, display family and model (e.g. AMD
    Zen 4 = AuthenticAMD 25/17) and the feature flags the OS reports."""

    vendor: str = ""
    family: int = 0
    model: int = 0
    flags: frozenset = frozenset()
    name: str = ""
    machine: str = ""

    @property
    def amd_zen(self):
        """AMD Zen 3, 4 or 5 (families 0x19, 0x1A): the CPUs whose rsqrtps the kernels'
        Zen model reproduces (measured on Zen 4 over every input; Zen 3 and Zen 5 by
        recordings)."""
        return self.vendor == "AuthenticAMD" and self.family in (0x19, 0x1A)

    @property
    def x86(self):
        return self.machine in ("x86_64", "AMD64", "i686", "i386") or bool(self.vendor)

    def describe(self):
        """One line: vendor, family/model, name, the widest vector ISA."""
        if not self.vendor:
            return f"{self.machine or 'unknown machine'} ({self.name or 'no CPU details'})"
        isa = ("AVX-512" if "avx512f" in self.flags else "AVX2" if "avx2" in self.flags
               else "AVX" if "avx" in self.flags else "SSE")
        return (f"{self.vendor} family {self.family} model {self.model}"
                f"{' (' + self.name + ')' if self.name else ''}, {isa}")

    def as_meta(self):
        """The JSON form recordings carry (``meta["cpu"]``)."""
        return {"vendor": self.vendor, "family": self.family, "model": self.model,
                "name": self.name, "machine": self.machine, "flags": sorted(self.flags)}


@functools.lru_cache(maxsize=1)
def host():
    """This machine's CPU (from /proc/cpuinfo on Linux; the machine type elsewhere)."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                k, _, v = line.partition(":")
                info[k.strip()] = v.strip()
    except OSError:
        pass
    return CPU(vendor=info.get("vendor_id", ""), family=int(info.get("cpu family", 0) or 0),
               model=int(info.get("model", 0) or 0),
               flags=frozenset(info.get("flags", "").split()),
               name=info.get("model name", ""), machine=platform.machine())


def from_meta(meta):
    """The CPU a recording was made on: ``meta["cpu"]`` (the conformance adapters), or the
    ``lscpu`` output of the golden files' ``meta["environment"]``; None if it says neither."""
    cpu = meta.get("cpu")
    if isinstance(cpu, dict) and cpu.get("vendor") is not None:
        return CPU(vendor=cpu.get("vendor", ""), family=int(cpu.get("family", 0)),
                   model=int(cpu.get("model", 0)), flags=frozenset(cpu.get("flags", ())),
                   name=cpu.get("name", ""), machine=cpu.get("machine", ""))
    lscpu = (meta.get("environment") or {}).get("cpu_lscpu")
    if isinstance(lscpu, dict) and lscpu.get("Vendor ID"):
        return CPU(vendor=lscpu["Vendor ID"], family=int(lscpu.get("CPU family", 0)),
                   model=int(lscpu.get("Model", 0)),
                   flags=frozenset(str(lscpu.get("Flags", "")).split()),
                   name=lscpu.get("Model name", ""),
                   machine=lscpu.get("Architecture", ""))
    return None


def physical_cores():
    """The physical cores of this machine: distinct (physical id, core id) pairs of
    /proc/cpuinfo (os.cpu_count() where it does not say)."""
    cores, current = set(), {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                if not line.strip():
                    if "core id" in current:
                        cores.add((current.get("physical id"), current["core id"]))
                    current = {}
                else:
                    current[k.strip()] = v.strip()
        if "core id" in current:
            cores.add((current.get("physical id"), current["core id"]))
    except OSError:
        pass
    return len(cores) or os.cpu_count() or 1


def environ(name, default=None):
    """An environment variable as the frameworks read it (None when unset)."""
    return os.environ.get(name, default)
