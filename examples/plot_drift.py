"""How far two frameworks' "Adam" drift apart on one gradient stream.

Every pair gets the same hyper-parameters (lr 1e-3, betas (0.9, 0.999), eps 1e-8, each
under the framework's own name) and the same float32 gradients; only the rounding of
each framework's kernel differs. The distance is the largest over the 67 elements, in
ULPs of float32 (symlog axis: linear below one ULP, so that 0 is drawn at 0): Keras 3
and tf-keras compute the same bits, Caffe and Torch7 (both OpenBLAS) part by tens to
thousands of ULPs, Keras 2 and TensorFlow 1 from step 2 on. The same as
``adamkit compare caffe torch7 --plot drift.png``.

Usage::

    python examples/plot_drift.py [--out FILE] [--steps N]

Needs matplotlib (``pip install "adamkit[plot]"``).
"""
import argparse

from adamkit.tools.compare import compare

PAIRS = [("caffe", "torch7"), ("pytorch", "optax"), ("keras2", "tensorflow"),
         ("keras", "tf_keras")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="plot_drift.png")
    ap.add_argument("--steps", type=int, default=1000)
    args = ap.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for a, b in PAIRS:
        c = compare(a, b, steps=args.steps)
        first = c.first_difference
        when = f"first differs at step {first}" if first else "identical"
        ax.plot(range(1, c.steps + 1), c.max_ulp, lw=1,
                label=f"{c.names[0]} vs {c.names[1]} ({when})")
        print(f"{c.names[0]} vs {c.names[1]}: max {c.max_ulp.max():.0f} ULP")  # noqa: T201
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("step")
    ax.set_ylabel("largest distance (float32 ULPs)")
    ax.set_title("Same Adam, same gradients, different rounding")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
