"""Training: populations of independent members trained together (see `population`)."""
