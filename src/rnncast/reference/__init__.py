"""A NumPy reference of the SimpleRNN, LSTM and GRU layers with backpropagation through time
written out step by step (no autograd), to read beside the equations.

>>> import numpy as np
>>> ref = RNNReference.random(input_size=4, hidden_size=3, seed=0)
>>> y, h = ref.forward(np.ones((1, 5, 4)))      # batch 1, 5 time steps, 4 features
>>> y.shape, h.shape
((1, 5, 3), (1, 3))

The textbook SimpleRNN ``h_t = tanh(W x_t + U h_{t-1} + b)`` with 4 inputs and 3 units has
4·3 (W) + 3·3 (U) + 3 (b) = 24 parameters. PyTorch (and this reference, which copies its
layout) keeps two bias vectors, ``b_ih`` and ``b_hh``, whose sum plays the role of ``b``:
24 + 3 = 27.

>>> sum(p.size for p in ref.params.values())
27
"""

from rnncast.reference.layers import (
    GRUReference,
    LSTMReference,
    Reference,
    RNNReference,
    from_torch,
)

__all__ = ["Reference", "RNNReference", "LSTMReference", "GRUReference", "from_torch"]
