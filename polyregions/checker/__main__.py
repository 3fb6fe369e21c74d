"""``python -m polyregions.checker CERT MODEL [--box LO HI | --domain FILE]``."""

import sys

from .command import main

sys.exit(main())
