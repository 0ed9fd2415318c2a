"""The real UCI HAR data (../shared/data or $HARCNN_DATA): a few fast checks, full-size figures are benchmarks."""

import numpy as np
import pytest

from harcnn.datasets import uci_har
from harcnn.metrics import classification_metrics
from harcnn.models import build
from harcnn.train.population import Recipe, predict_logits, train_population


def test_real_zip_shapes_counts_subjects(real_dataset):
    ds = real_dataset
    assert ds.train.X.shape == (7352, 9, 128) and ds.test.X.shape == (2947, 9, 128)
    assert ds.train.X.dtype == np.float32
    assert ds.train.class_counts().tolist() == [1226, 1073, 986, 1286, 1374, 1407]
    assert sorted(set(ds.test.subject.tolist())) == list(uci_har.OFFICIAL_TEST_SUBJECTS)
    assert not set(ds.train.subject.tolist()) & set(ds.test.subject.tolist())
    assert ds.sha256 == uci_har.OFFICIAL_CONTENT_SHA256
    # first row of body_acc_x_train, as published
    np.testing.assert_allclose(ds.train.X[0, 3, :3], [1.808515e-04, 1.013856e-02, 9.275574e-03], rtol=1e-6)


@pytest.mark.slow
def test_tutorial_cnn_two_epochs_scores_above_85_percent(real_dataset):
    ds = real_dataset
    model = build("cnn", 9, 6, 128, members=1)
    train_population(model, ds.train, [0], Recipe(epochs=2))
    predictions = predict_logits(model, ds.test.X)[0].argmax(-1).numpy()
    accuracy = classification_metrics(ds.test.y, predictions, ds.test.classes)["accuracy"]
    assert accuracy > 0.85, accuracy
