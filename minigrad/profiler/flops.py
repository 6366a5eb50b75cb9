"""Floating-point operation counts for the ops that do GEMM-shaped work (a multiply-add counts 2).

Forward: conv2d 2*|out|*Cin/groups*kh*kw, linear 2*|out|*in_features, matmul 2*|out|*K.
Backward: the same count for each of the two operands whose gradient is wanted (dX and dW are each a
GEMM of the forward's size); bias gradients are reductions and are not counted.
"""
from math import prod

# op name (the Function class name without "Fn") -> per-output-element flops from the input shapes
_PER_OUTPUT = {
    "Conv2d": lambda shapes: 2 * prod(shapes[1][1:]),    # weight (Cout, Cin/groups, kh, kw)
    "Linear": lambda shapes: 2 * shapes[1][1],           # weight (out, in)
    "MatMul": lambda shapes: 2 * shapes[0][-1],          # a (..., M, K) or (K,)
}


def counted(op):
    return op in _PER_OUTPUT


def forward_flops(op, input_shapes, output_shape):
    """FLOPs of op's forward given its inputs' shapes and its output's shape (0 for other ops)."""
    per = _PER_OUTPUT.get(op)
    return 0 if per is None else per(input_shapes) * prod(output_shape)


def backward_flops(op, input_shapes, grad_shape, needs_input_grad):
    """FLOPs of op's backward: one forward-sized GEMM per wanted gradient of the first two inputs."""
    per = _PER_OUTPUT.get(op)
    if per is None:
        return 0
    return per(input_shapes) * prod(grad_shape) * sum(bool(n) for n in needs_input_grad[:2])
