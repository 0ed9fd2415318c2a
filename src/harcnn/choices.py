"""The choices options take, declared once: the library checks against them and the CLI offers them
(its help lists them). Plain tuples, importable before numpy and torch, so that `--help` is quick."""

EXECUTORS = ("inline", "processes", "ray")  # where a study's populations train (`experiments.executors`)
RUN_EXECUTORS = ("local", *EXECUTORS)  # 'local': inline with one worker, processes with more
LABEL_POLICIES = ("majority", "centre", "drop")  # a window across a label change: half its samples or more, its centre's, none
FILTERS = ("none", "uci-har")  # filters a pipeline applies: none, or UCI HAR's noise filters and gravity split
LAYOUTS = ("auto", "nct", "ntc")  # axes of a 3-D array of windows; harcnn's own is (n, channels, steps)
# ONNX; ONNX Runtime's own format (its mobile builds); Core ML (Apple); LiteRT, formerly TensorFlow Lite (Android, microcontrollers)
EXPORT_SUFFIXES = {"onnx": ".onnx", "ort": ".ort", "coreml": ".mlpackage", "tflite": ".tflite"}
EXPORT_FORMATS = tuple(EXPORT_SUFFIXES)
QUANTIZATIONS = ("int8",)
TABLE_FORMATS = ("text", "csv", "json", "md")  # how `harcnn report` prints a study's table
TRACKERS = ("mlflow", "tensorboard")  # tools `harcnn runs export` writes a store's runs to
PEER_NAMES = ("minirocket", "hydra", "multirocket-hydra", "quant")  # the aeon peers, as `models.peers.PEERS` registers them
AUTO_BUDGET_MIN = 30.0  # `harcnn auto`'s default budget, a ceiling: UCI HAR's choice and refit took 19.5 min on 2 cores (0.12.0)
AUTO_FOLDS = 3  # subject-grouped folds `harcnn auto` cross-validates on
