"""Batched inference: the one loop that runs a model over many images, shared by train, evaluate and predict."""
import math

import numpy as np

import minigrad

EVAL_BATCH = 256


@np.errstate(over="ignore", invalid="ignore")  # a diverged model's inf/nan shows in the loss it returns
def run_batches(spec, model, x, model_config, y=None, batch_size=EVAL_BATCH, encoded=False):
    """Forward `x` (uint8 images, or spec.encode_dataset's output if encoded) in eval mode, no grad.

    Returns (predicted sums, mean loss or None when y is None, raw outputs concatenated).
    """
    model.eval()
    data = x if encoded else spec.encode_dataset(x, model_config)
    preds, outputs, loss_sum = [], [], 0.0
    with minigrad.no_grad():
        for i in range(0, len(data), batch_size):
            out, pred = spec.infer(model, data[i:i + batch_size], model_config)
            if y is not None:
                loss_sum += float(spec.loss(out, y[i:i + batch_size]).item()) * len(out.data)
            outputs.append(out.data)
            preds.append(pred)
    if not outputs:
        return np.zeros(0, np.int64), (math.nan if y is not None else None), np.zeros((0,))
    loss = loss_sum / len(data) if y is not None else None
    return np.concatenate(preds), loss, np.concatenate(outputs)


def readouts(spec, outputs, sums=None):
    """Human-readable readings, e.g. '7 2 5 1 -> 15' (the digits read, then the predicted sum: `sums` as
    run_batches returned them, else predicted from `outputs`), for models that read digits
    (spec.read_digits); None for the others."""
    if spec.read_digits is None:
        return None
    sums = spec.predict(outputs) if sums is None else sums
    return [f"{' '.join(str(d) for d in digits)} -> {s}" for digits, s in zip(spec.read_digits(outputs, sums), sums)]
