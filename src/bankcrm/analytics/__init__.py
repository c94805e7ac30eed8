"""Customer analytics: probabilistic models of purchase behaviour and customer value."""
