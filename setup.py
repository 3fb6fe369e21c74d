"""Build of the compiled kernel (everything else is in setup.cfg).

``polyregions.geometry._kernel`` is one C file against GMP (libgmp-dev on Debian, which
scripts/bootstrap.sh installs with cddlib); no Cython is needed.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("polyregions.geometry._kernel", ["polyregions/geometry/_kernel.c"], libraries=["gmp"],
                             extra_compile_args=["-O2"])])
