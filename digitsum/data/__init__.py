"""digitsum's data: real MNIST (mnist), the composite generator (compose), folders in the course layout
(course), what training reads (loading: splits, normalisation, fresh composites) and training-time
augmentation (augment). `python -m digitsum.data` is the data command (__main__)."""
