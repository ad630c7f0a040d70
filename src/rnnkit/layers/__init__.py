"""Keras-named layers, each with hand-written NumPy forward and backward passes."""

from .activation import Activation
from .base import Layer, clear_session
from .bidirectional import Bidirectional
from .cells import FusedKernel, GRUCell, LSTMCell, RecurrentCell, SimpleRNNCell
from .convolution import Conv1D
from .core import Dense, Dropout, Embedding, Input, InputLayer
from .layer_norm_lstm import LayerNormLSTM, LayerNormLSTMCell
from .masking import Masking
from .merging import Add, Average, Concatenate, Multiply
from .normalization import LayerNormalization
from .pooling import GlobalAveragePooling1D, GlobalMaxPooling1D, MaxPooling1D
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .regularization import SpatialDropout1D
from .reshaping import Flatten
from .text_encoding import KerasImdbEncoding, TokenizerEncoding
from .text_vectorization import TextVectorization

__all__ = ["Layer", "clear_session", "Input", "InputLayer", "Dense", "Embedding", "Dropout",
           "RNN", "SimpleRNN", "LSTM", "GRU", "RecurrentCell", "FusedKernel", "SimpleRNNCell",
           "LSTMCell", "GRUCell", "LayerNormLSTM", "LayerNormLSTMCell", "Bidirectional",
           "TokenizerEncoding", "KerasImdbEncoding", "TextVectorization", "Conv1D",
           "GlobalMaxPooling1D", "GlobalAveragePooling1D", "MaxPooling1D", "SpatialDropout1D",
           "Flatten", "Masking", "LayerNormalization", "Activation", "Concatenate", "Add",
           "Average", "Multiply"]
