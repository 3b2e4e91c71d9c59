"""Building blocks the lessons add to the core: normalization and dropout, residual blocks, recurrent layers
(rnn), weight penalties (regularization), gradient clipping, pruning, freezing, and the toy loss surfaces that
lesson 03's optimizers walk on (surfaces). They import the core and nothing above it."""
