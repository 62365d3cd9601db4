"""py_nn: a neural network from scratch in NumPy, after Dorian Lazar's article
"Implement a Neural Network from Scratch with NumPy"."""
from ._version import __version__  # noqa: F401 (the package version, re-exported)
from . import (activations, augment, components, gradcheck, insight, kernels, losses,
               optimizers, stepwise)
from .activations import (
    d_identity, d_leaky_relu, d_relu, d_sigmoid, d_sigmoid_jacobian, d_softmax, d_tanh,
    identity, leaky_relu, relu, sigmoid, softmax, tanh)
from .losses import (
    EPS, binary_crossentropy, categorical_crossentropy, d_binary_crossentropy,
    d_categorical_crossentropy, d_mse, mse)
from .network import NeuralNetwork, from_json, load_model
from .optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop, get_optimizer
from .serialization import ModelFormatError
from .utils import confusion_matrix, to_categorical

__all__ = [
    "NeuralNetwork", "SGD", "Adam", "RMSprop", "Adagrad", "Optimizer", "get_optimizer",
    "relu", "d_relu", "leaky_relu", "d_leaky_relu", "sigmoid", "d_sigmoid", "tanh", "d_tanh",
    "identity", "d_identity", "softmax", "d_softmax", "d_sigmoid_jacobian",
    "mse", "d_mse", "categorical_crossentropy", "d_categorical_crossentropy",
    "binary_crossentropy", "d_binary_crossentropy", "EPS",
    "to_categorical", "confusion_matrix", "from_json", "load_model", "ModelFormatError",
    "activations", "losses", "optimizers", "kernels", "augment", "gradcheck", "insight",
    "stepwise",
]
