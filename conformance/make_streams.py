"""Write the standard gradient streams for the live adapters (run in the main environment).

    python -m conformance.make_streams DIR
"""

import json
import os
import sys

import numpy as np

from adamkit.tools.streams import make_stream

#: the standard streams: name -> (n, T). n mod 16 >= 8 and n mod 32 > 8 put elements in
#: every SIMD and BLAS tail (8 and 16 lanes, 32-element axpy blocks): 77 = 64 + 13,
#: 40011 = 40000 + 11 (above the 32768 grains of ATen and OpenBLAS's threading).
STREAMS = {"small": (77, 1000), "large": (40011, 20)}
SEED = 20261122


def write_streams(out):
    os.makedirs(out, exist_ok=True)
    for name, (n, T) in STREAMS.items():
        p0, grads, special = make_stream(SEED, n, T)
        for dtype in ("float32", "float64"):
            meta = {"name": name, "seed": SEED, "n": n, "T": T, "special": special,
                    "recipe": "adamkit.tools.streams.make_stream(seed, n, T), cast with astype(dtype)"}
            np.savez(os.path.join(out, f"stream-{name}-{dtype}.npz"), p0=p0.astype(dtype),
                     grads=grads.astype(dtype), meta=np.array(json.dumps(meta)))
    return out


if __name__ == "__main__":
    write_streams(sys.argv[1])
