"""harcnn: human activity recognition with 1D CNNs.

    import harcnn
    data = harcnn.load_uci_har()                                  # arrays, subjects, names
    clf = harcnn.HARClassifier(epochs=10, standardize=True).fit(data.X_train, data.y_train, groups=data.subject_train)
    clf.score(data.X_test, data.y_test); clf.save("model/")
    harcnn.load("model/").predict(windows)

The names below are imported on first use, so `import harcnn` (and the CLI's start) stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.13.0"

_EXPORTS = {
    "HARClassifier": ("harcnn.estimator", "HARClassifier"),
    "load": ("harcnn.estimator", "load"),
    "load_uci_har": ("harcnn.data.resolve", "load_uci_har"),
    "load_dataset": ("harcnn.data.resolve", "load_dataset"),
    "evaluate": ("harcnn.metrics", "evaluate"),
    "predict_recording": ("harcnn.deploy.predict", "predict_recording"),
    "read_recording": ("harcnn.data.recordings", "read_recording"),
    "load_recordings": ("harcnn.data.recording_windows", "load_recordings"),
    "sample_recording": ("harcnn.data.sample", "sample_recording"),
    "Pipeline": ("harcnn.data.pipeline", "Pipeline"),
    "set_fused": ("harcnn.fused", "set_fused"),
    "HarcnnError": ("harcnn.errors", "HarcnnError"),
    "WindowSet": ("harcnn.data.windows", "WindowSet"),
    "models": ("harcnn.models", None),
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'harcnn' has no attribute {name!r}")
    module_name, attribute = _EXPORTS[name]
    module = importlib.import_module(module_name)
    return module if attribute is None else getattr(module, attribute)


def __dir__() -> list[str]:
    return __all__
