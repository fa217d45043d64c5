"""``python -m conformance setup|verify`` from the root of a checkout."""

import argparse
import sys

from . import verify as V


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m conformance",
                                 description="adamkit's conformance suite: the real "
                                             "frameworks against adamkit's presets")
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup", help="create the framework environments (.venvs/) that the "
                                     "live suite drives (pip; minutes, ~5 GB)")
    s.add_argument("--force", action="store_true", help="recreate existing environments")
    v = sub.add_parser("verify", help="record every installed framework, replay every "
                                      "recording and golden file; one report")
    v.add_argument("--golden-only", action="store_true", help="skip the live frameworks")
    v.add_argument("--setup", action="store_true",
                   help="create the framework environments that are missing first")
    v.add_argument("--only", default="", help="only recordings whose file name contains this")
    args = ap.parse_args(argv)
    if args.command == "setup":
        return V.setup_all(force=args.force)
    return V.verify(live=not args.golden_only, setup=args.setup, only=args.only)


if __name__ == "__main__":
    sys.exit(main())
