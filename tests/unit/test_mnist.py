"""Learning on real MNIST digits (the site's shards of the official split, written by build.py)."""
import numpy as np

import py_nn


def test_784_128_10_reaches_95_percent_on_held_out_digits(mnist):
    x_train, y_train, x_test, y_test = mnist
    assert x_train.shape == (8000, 784) and x_test.shape == (10000, 784)  # the official test digits
    assert set(np.unique(y_test)) == set(range(10))
    net = py_nn.NeuralNetwork([784, 128, 10], "relu", "softmax", "categorical_crossentropy",
                              py_nn.SGD(lr=0.05, momentum=0.9), dtype="float32", seed=0)
    net.fit(x_train, y_train, batch_size=32, epochs=10, categorical=True, verbose=False)
    accuracy = net.score(x_test, y_test, accuracy=True)
    print(f"held-out accuracy: {accuracy:.4f}")
    assert accuracy >= 0.95
    cm = py_nn.confusion_matrix(y_test, net.predict(x_test, labels=True), num_classes=10)
    assert cm.sum() == 10000 and np.trace(cm) == round(accuracy * 10000)
