import numpy as np

from harcnn.metrics import classification_metrics


def test_metrics_by_hand():
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 1, 1, 1, 1])
    m = classification_metrics(y_true, y_pred, ("a", "b", "c"))
    assert m["accuracy"] == 4 / 6
    assert m["confusion"] == [[2, 1, 0], [0, 2, 0], [0, 1, 0]]
    assert m["per_class"]["a"] == {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3}
    assert m["per_class"]["b"]["precision"] == 0.5 and m["per_class"]["b"]["f1"] == 2 * 0.5 / 1.5
    assert m["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert np.isclose(m["macro_f1"], (0.8 + 2 / 3 + 0) / 3)
