"""Experiments that make the textbook phenomena visible: vanishing gradients, memory over
long distances, and the gates of a trained model."""
