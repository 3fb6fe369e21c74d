"""The package's version (read by setup.cfg and ``polyregions --version``)."""

__version__ = "0.1.0"
