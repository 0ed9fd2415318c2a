"""harcnn: human activity recognition with 1D CNNs."""

__version__ = "0.2.0"
