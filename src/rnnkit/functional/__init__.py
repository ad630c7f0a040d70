"""Keras's Functional API: symbolic tensors, the layer graph, its walk and the graph model."""
