"""Write the standard gradient streams for the live adapters (run in the main environment).

    python conformance/make_streams.py DIR
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adapters._run import SEED, STREAMS  # noqa: E402

from adamkit._streams import make_stream  # noqa: E402


def write_streams(out):
    os.makedirs(out, exist_ok=True)
    for name, (n, T) in STREAMS.items():
        p0, grads, special = make_stream(SEED, n, T)
        for dtype in ("float32", "float64"):
            meta = {"name": name, "seed": SEED, "n": n, "T": T, "special": special,
                    "recipe": "conformance/streams.py make_stream(seed, n, T), cast with astype(dtype)"}
            np.savez(os.path.join(out, f"stream-{name}-{dtype}.npz"), p0=p0.astype(dtype),
                     grads=grads.astype(dtype), meta=np.array(json.dumps(meta)))
    return out


if __name__ == "__main__":
    write_streams(sys.argv[1])
