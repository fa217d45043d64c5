#!/usr/bin/env bash
# Sanitizer runs (gcc -fsanitize=address,undefined), for CI:
#
#   1. the C core's own tests (adam_c/tests/test_adam_c.c) and the README's C example,
#      built against an instrumented libadam_c, with every sanitizer report fatal;
#   2. unless SANITIZE_PYTHON=0: the package built with -Db_sanitize=address,undefined
#      into a throwaway venv, and the Python tests that drive the kernels (kernels,
#      optimizers, fuzz, properties, exact updates) run against it with libasan preloaded.
#
# Usage: bash .ci/sanitize.sh            (from anywhere; needs gcc, python3 -m venv)
# Env:   SANITIZE_PYTHON=0 to skip part 2; SANITIZE_WORK=dir for the build files
#        (default: a temporary directory, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CC=${CC:-gcc}
WORK=${SANITIZE_WORK:-$(mktemp -d)}
[ -n "${SANITIZE_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
EXACT="-ffp-contract=off -fno-math-errno"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

echo "== 1. C core tests under ASan+UBSan ($($CC --version | head -1))"
t0=$(date +%s)
# the headers the build generates from adam_c.h and the presets (adam_c/meson.build)
mkdir -p "$WORK/gen"
python3 adam_c/codegen.py limits adam_c/include/adam_c.h "$WORK/gen/adam_c_limits.h"
python3 adam_c/codegen.py instances adam_c/include/adam_c.h src/adamkit "$WORK/gen/instances.h"
for src in adam_c_f32 adam_c_f64 adam_c_common estimates powf_exact pow_exact estimate_rows delta; do
    $CC -std=c99 -O1 -g $SAN $EXACT -Iadam_c/include -I"$WORK/gen" -c "adam_c/src/$src.c" \
        -o "$WORK/$src.o"
done
ar rcs "$WORK/libadam_c_san.a" "$WORK"/adam_c_f32.o "$WORK"/adam_c_f64.o "$WORK"/adam_c_common.o \
    "$WORK"/estimates.o "$WORK"/powf_exact.o "$WORK"/pow_exact.o "$WORK"/estimate_rows.o \
    "$WORK"/delta.o
$CC -std=c99 -O1 -g $SAN $EXACT -Iadam_c/include -I"$WORK/gen" adam_c/tests/test_adam_c.c \
    "$WORK/libadam_c_san.a" -lm -o "$WORK/test_adam_c_san"
"$WORK/test_adam_c_san"
# the float64 pow fast path's check, its smallest run (tests/test_pow_exact.py runs more)
$CC -std=gnu99 -O1 -g $SAN -fopenmp -Iadam_c/include adam_c/tests/test_pow_exact.c \
    "$WORK/pow_exact.o" -lm -o "$WORK/test_pow_exact_san"
"$WORK/test_pow_exact_san" --scale 1 > /dev/null

# the README's C example (from README.md, else docs/embedding.md)
python3 - "$WORK/adam_example.c" <<'EOF'
import re, sys
from pathlib import Path
pat = re.compile(r"<!--\s*embedding-example:\s*adam_example\.c\s*-->\s*\n```c\n(.*?)\n```", re.S)
for doc in ("docs/embedding.md",):
    if Path(doc).is_file() and pat.search(Path(doc).read_text()):
        Path(sys.argv[1]).write_text(pat.search(Path(doc).read_text()).group(1) + "\n")
        break
else:
    sys.exit("no adam_example.c in docs/embedding.md")
EOF
$CC -std=c99 -O1 -g $SAN -Iadam_c/include "$WORK/adam_example.c" "$WORK/libadam_c_san.a" \
    -lm -o "$WORK/adam_example_san"
"$WORK/adam_example_san" > /dev/null
echo "C core under ASan+UBSan: clean ($(( $(date +%s) - t0 )) s)"

if [ "${SANITIZE_PYTHON:-1}" = "0" ]; then
    exit 0
fi

echo "== 2. Python tests against an ASan+UBSan build of the extension"
t0=$(date +%s)
PY=${PYTHON:-python3}
$PY -m venv --system-site-packages "$WORK/venv"
VPY="$WORK/venv/bin/python"
SITE=$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# If the host has an editable adamkit, its import hook would shadow this venv's copy:
# an empty module of the same name in the venv (searched first) disables it here only.
printf 'def init():\n    pass\n' > "$SITE/_adamkit_editable_loader.py"
"$VPY" -m pip install -q --no-deps \
    -Csetup-args=-Db_sanitize=address,undefined -Csetup-args=-Db_lundef=false \
    -Csetup-args=-Dbuildtype=debugoptimized -Cbuild-dir="$WORK/build" "$ROOT"
LIBASAN=$($CC -print-file-name=libasan.so)
cd "$WORK"   # import the installed (instrumented) package, not the source tree
"$VPY" - <<'EOF'
import importlib.util
origin = importlib.util.find_spec("adamkit").origin   # locate it without importing
assert "site-packages" in origin, origin
print("instrumented adamkit:", origin)
EOF
# Leak detection is off for the interpreter (CPython keeps objects alive at exit); every
# other ASan/UBSan report aborts the run.
LD_PRELOAD="$LIBASAN" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
ADAMKIT_FUZZ_N="${ADAMKIT_FUZZ_N:-3000}" ADAMKIT_HYPOTHESIS_SCALE="${ADAMKIT_HYPOTHESIS_SCALE:-0.25}" \
    "$VPY" -m pytest -q -p no:cacheprovider -x \
    "$ROOT/tests/test_kernels.py" "$ROOT/tests/test_optim.py" \
    "$ROOT/tests/test_fuzz.py" "$ROOT/tests/test_properties.py" \
    "$ROOT/tests/test_exact_updates.py"
echo "Python tests under ASan+UBSan: clean ($(( $(date +%s) - t0 )) s)"
