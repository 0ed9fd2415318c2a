"""Classification metrics (scikit-learn's), in the one dictionary every report and command uses, and per subject."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError

if TYPE_CHECKING:
    from harcnn.estimator import HARClassifier


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, classes: tuple[str, ...]) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    `y_true` and `y_pred` index `classes`; rows of the confusion matrix are true classes. A class never
    predicted has precision 0 and one absent from `y_true` recall 0 (`zero_division=0`).
    """
    labels = np.arange(len(classes))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    return {
        "accuracy": float(np.trace(cm) / max(cm.sum(), 1)),
        "macro_f1": float(f1.mean()),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(classes, precision, recall, f1, support)
        },
        "confusion": cm.tolist(),
    }


def per_subject(windows: WindowSet, predicted: np.ndarray) -> dict[str, dict]:
    """Accuracy, macro-F1 (over the classes the subject has) and window count per subject, by subject id."""
    out = {}
    for subject in np.unique(windows.subject):
        mine = windows.subject == subject
        present = np.unique(windows.y[mine])
        _, _, f1, _ = precision_recall_fscore_support(windows.y[mine], predicted[mine], labels=present, zero_division=0)
        out[str(int(subject))] = {
            "accuracy": float((predicted[mine] == windows.y[mine]).mean()),
            "macro_f1": float(f1.mean()),
            "windows": int(mine.sum()),
        }
    return out


def evaluate(model: HARClassifier, windows: WindowSet) -> dict:
    """`classification_metrics` of a fitted model on labelled windows, in the windows' class order.

    The model's classes are matched to the windows' by name, so a model whose outputs are in another
    order (one fitted on string labels, say) is scored correctly; channels must match by name too.
    """
    if tuple(model.channels_) != windows.channels:
        raise HarcnnError(f"the model reads channels {list(model.channels_)}, the windows have {list(windows.channels)}")
    predicted = predicted_classes(model, model.predict_proba(windows.X), windows)
    return classification_metrics(windows.y, predicted, windows.classes) | {"per_subject": per_subject(windows, predicted)}


def predicted_classes(model: HARClassifier, proba: np.ndarray, windows: WindowSet) -> np.ndarray:
    """The most probable class of each window, from probabilities in the model's class order (its
    own, or an export's), as an index into the windows' classes, matched by name."""
    names = [str(c) for c in model.classes_]
    if sorted(names) != sorted(windows.classes):
        raise HarcnnError(f"the model's classes {names} are not the windows' classes {list(windows.classes)}")
    position = {name: i for i, name in enumerate(windows.classes)}
    return np.array([position[n] for n in names])[proba.argmax(1)]


def accuracy(model: HARClassifier, proba: np.ndarray, windows: WindowSet) -> float:
    """The share of windows whose most probable class (`predicted_classes`) is their label."""
    return float((predicted_classes(model, proba, windows) == windows.y).mean())
