"""Keras-named layers, each with hand-written NumPy forward and backward passes."""

from .base import Layer, clear_session
from .bidirectional import Bidirectional
from .cells import FusedKernel, GRUCell, LSTMCell, RecurrentCell, SimpleRNNCell
from .core import Dense, Dropout, Embedding, Input, InputLayer
from .layer_norm_lstm import LayerNormLSTM, LayerNormLSTMCell
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .text_encoding import KerasImdbEncoding, TokenizerEncoding
from .text_vectorization import TextVectorization

__all__ = ["Layer", "clear_session", "Input", "InputLayer", "Dense", "Embedding", "Dropout",
           "RNN", "SimpleRNN", "LSTM", "GRU", "RecurrentCell", "FusedKernel", "SimpleRNNCell",
           "LSTMCell", "GRUCell", "LayerNormLSTM", "LayerNormLSTMCell", "Bidirectional",
           "TokenizerEncoding", "KerasImdbEncoding", "TextVectorization"]
