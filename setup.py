"""Build of the compiled parts (everything else is in setup.cfg).

``polyregions.geometry._kernel`` is one C file against GMP (libgmp-dev on Debian, which
scripts/bootstrap.sh installs with cddlib); ``polyregions.search._bounds`` is one C file
of double arithmetic with the rounding mode set upward, so it is built with
-frounding-math (the compiler must not fold or reorder across rounding-mode changes).
No Cython is needed.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("polyregions.geometry._kernel", ["polyregions/geometry/_kernel.c"], libraries=["gmp"],
                             extra_compile_args=["-O2"]),
                   Extension("polyregions.search._bounds", ["polyregions/search/_bounds.c"],
                             extra_compile_args=["-O3", "-frounding-math", "-fno-fast-math"])])
