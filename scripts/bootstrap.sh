#!/usr/bin/env bash
# Make a fresh clone of polyregions ready to run: system libraries, .venv, editable install.
#
#   scripts/bootstrap.sh           check system libraries, create .venv, install '.[test]'
#   scripts/bootstrap.sh --check   only check the system libraries (exit 1 if missing)
#   scripts/bootstrap.sh --force   reinstall even if .venv/.installed is up to date
#
# The install is `pip install -c constraints.txt -e '.[test]'`: setup.cfg states the version
# ranges polyregions works with, constraints.txt the exact versions tested here.
# pycddlib 3.x has no Linux wheel: pip builds it from source against cddlib and GMP
# (its exact module cdd.gmp links libcddgmp and libgmp), so their headers must be there;
# polyregions' own compiled kernel (polyregions/geometry/_kernel.c, see setup.py) links GMP too.
# Environment: PYTHON (default python3) is the interpreter that creates the venv; VENV
# (default .venv) and CONSTRAINTS (default constraints.txt) name the environment and the
# versions: make test-oldest runs VENV=.venv-oldest CONSTRAINTS=constraints-oldest.txt.
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
CONSTRAINTS="${CONSTRAINTS:-constraints.txt}"
STAMP="$VENV/.installed"
DEB_PACKAGES=(libcdd-dev libgmp-dev)

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

mode=install
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    --force) mode=force ;;
    *) die "unknown option '$1' (expected --check or --force)" ;;
esac

# --- (a) system libraries -------------------------------------------------------------

# Print the first existing file among the arguments (globs allowed); fail if none.
first_file() {
    local f
    for f in "$@"; do
        [ -f "$f" ] && { printf '%s\n' "$f"; return 0; }
    done
    return 1
}

# Print the Debian packages (or, without dpkg, the descriptions) that are missing.
missing_system_libs() {
    local pkg
    if command -v dpkg >/dev/null 2>&1; then
        for pkg in "${DEB_PACKAGES[@]}"; do
            dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' \
                || printf '%s\n' "$pkg"
        done
    else
        first_file /usr/include/cdd/cdd.h /usr/include/cddlib/cdd.h \
            /usr/local/include/cdd/cdd.h /usr/local/include/cddlib/cdd.h \
            /opt/homebrew/include/cddlib/cdd.h >/dev/null || echo "cddlib headers (cdd.h)"
        first_file /usr/include/gmp.h /usr/include/*-linux-gnu/gmp.h \
            /usr/local/include/gmp.h /opt/homebrew/include/gmp.h >/dev/null \
            || echo "GMP headers (gmp.h)"
    fi
    if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
        printf '%s\n' gcc
    fi
}

check_system() {
    local missing
    missing="$(missing_system_libs)"
    [ -z "$missing" ] && return 0
    # shellcheck disable=SC2086
    set -- $missing
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
        say "installing missing system packages: $*"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq || die "apt-get update failed"
        apt-get install -y -qq --no-install-recommends "$@" \
            || die "apt-get install -y --no-install-recommends $* failed"
        missing="$(missing_system_libs)"
        [ -z "$missing" ] || die "still missing after apt-get install: $(echo $missing)"
        return 0
    fi
    {
        echo "bootstrap: error: missing system libraries: $*"
        echo "  pycddlib 3.x is built from source and needs cddlib and GMP development"
        echo "  headers and a C compiler. Install them, then rerun 'make setup':"
        echo "    Debian/Ubuntu:  sudo apt-get install libcdd-dev libgmp-dev"
        echo "    other systems:  cddlib and GMP development headers (e.g. cddlib-devel"
        echo "                    gmp-devel on Fedora, 'brew install cddlib gmp' on macOS)"
    } >&2
    exit 1
}

check_system
if [ "$mode" = check ]; then
    say "system libraries present"
    exit 0
fi

# --- (b) virtualenv and editable install ----------------------------------------------

venv_works() { "$VENV/bin/python" -c 'import cdd.gmp, polyregions, polyregions.geometry._kernel, polyregions.search._bounds' >/dev/null 2>&1; }

[ -f "$CONSTRAINTS" ] || die "constraints file '$CONSTRAINTS' not found"
# The pycddlib version that the constraints file pins, for the repair hint below.
PYCDDLIB_PIN="$(sed -n 's/^pycddlib *== *\([^ #]*\).*/\1/p' "$CONSTRAINTS" | head -n 1)"

if [ "$mode" = install ] && [ -f "$STAMP" ] && [ "$STAMP" -nt setup.cfg ] \
        && [ "$STAMP" -nt pyproject.toml ] && [ "$STAMP" -nt setup.py ] && [ "$STAMP" -nt "$CONSTRAINTS" ] \
        && [ "$STAMP" -nt polyregions/geometry/_kernel.c ] && [ "$STAMP" -nt polyregions/search/_bounds.c ] \
        && venv_works; then
    say "$VENV is up to date (use --force to reinstall)"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found; set PYTHON to a Python >= 3.10"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || die "$("$PYTHON" -V 2>&1) is too old; polyregions needs Python >= 3.10 (set PYTHON=...)"
    say "creating $VENV with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv "$VENV" || die "'$PYTHON -m venv $VENV' failed (on Debian/Ubuntu: apt-get install python3-venv)"
fi

rm -f "$STAMP"
say "upgrading pip in $VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
say "installing polyregions in editable mode with the test extra, versions from $CONSTRAINTS (pycddlib builds from source)"
"$VENV/bin/pip" install --quiet -c "$CONSTRAINTS" -e '.[test]' \
    || die "'$VENV/bin/pip install -c $CONSTRAINTS -e .[test]' failed (see above; pycddlib needs cddlib/cdd.h, gmp.h and a C compiler)"

# --- (c) verify ---------------------------------------------------------------------------

if ! err="$("$VENV/bin/python" -c 'import cdd.gmp' 2>&1)"; then
    printf '%s\n' "$err" >&2
    die "'import cdd.gmp' fails in $VENV: pycddlib was built without its GMP module. Check that libcdd-dev and libgmp-dev are installed, then run: $VENV/bin/pip install --force-reinstall --no-cache-dir --no-binary pycddlib pycddlib${PYCDDLIB_PIN:+==$PYCDDLIB_PIN}"
fi
"$VENV/bin/python" -c 'import polyregions' || die "'import polyregions' fails in $VENV"
# Byte-compile the package once: where PYTHONDONTWRITEBYTECODE is set Python never writes
# .pyc files, and every command would parse the sources again (a CLI start takes 0.17 s
# instead of 0.25 s). Python checks each .pyc against its source, so edits stay live.
"$VENV/bin/python" -m compileall -q polyregions >/dev/null || say "(byte-compiling polyregions failed; it runs from the sources)"
"$VENV/bin/python" -c 'import polyregions.geometry._kernel' \
    || die "the compiled kernel polyregions.geometry._kernel (polyregions/geometry/_kernel.c, built against GMP by pip) does not import in $VENV"
"$VENV/bin/python" -c 'import polyregions.search._bounds' \
    || die "the compiled bounds polyregions.search._bounds (polyregions/search/_bounds.c, built by pip) do not import in $VENV"

touch "$STAMP"
say "ready: $VENV: $("$VENV/bin/python" -c 'from importlib.metadata import version as v; print("polyregions", v("polyregions"), "with pycddlib", v("pycddlib"), "and cdd.gmp, sympy", v("sympy") + ", networkx", v("networkx"))')"
