"""Run inside the legacy framework environment (NumPy 1.23.5 and its OpenBLAS 0.3.20):
x.x of every row of the float32 and float64 vectors of IN, as NumPy computes it
(cblas_sdot / cblas_ddot), written to OUT with the core and thread count OpenBLAS reports.

    .venvs/legacy/bin/python conformance/openblas_dots.py IN.npz OUT.npz
"""

import sys

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0] + "/adapters")
from _run import openblas_info  # noqa: E402


def main(src, dst):
    with np.load(src) as z:
        out = {}
        for name in z.files:
            x = z[name]
            out[name] = np.array([row.dot(row) for row in x], dtype=x.dtype)
    info = openblas_info()
    np.savez(dst, core=np.array(info["openblas_core"]),
             threads=np.array(info["openblas_threads"]), **out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
