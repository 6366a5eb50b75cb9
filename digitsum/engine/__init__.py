"""digitsum's engine, between the models and the commands: batched inference, checkpoints, run folders,
metrics and plots."""
