"""Studies: a TOML spec (a grid of configurations x repeats), a runner and a results store."""
