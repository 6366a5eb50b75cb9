"""einsum with its gradient: each operand's gradient is another einsum of the upstream gradient with the
other operands, broadcast over letters summed away and written back onto repeated-letter diagonals."""
import string

import numpy as np

from ..autograd import Function


def normalize_equation(equation, shapes):
    """Explicit form 'ab,bc->ac' with every '...' spelled out in unused letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): {len(terms)} operands in the equation '{equation}' but {len(shapes)} given")
    free = [c for c in string.ascii_letters if c not in eq]
    ell_dims = max([len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t] or [0])
    ell = "".join(free[:ell_dims])
    spelled = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            n = len(s) - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_dims - n:] if n else "")
        if len(t) != len(s):
            raise RuntimeError(f"einsum(): the subscripts '{t}' do not match an operand of shape {list(s)}")
        spelled.append(t)
    if not arrow:
        letters = "".join(spelled)
        rhs = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return spelled, rhs


class Einsum(Function):
    @staticmethod
    def forward(ctx, *arrays, terms=None, out=None):
        ctx.terms, ctx.out = terms, out
        ctx.save_for_backward(*arrays)
        return np.asarray(np.einsum(",".join(terms) + "->" + out, *arrays, optimize=len(arrays) > 2))

    @staticmethod
    def backward(ctx, g):
        arrays, grads = ctx.saved_tensors, []
        for i, (term, a) in enumerate(zip(ctx.terms, arrays)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(ctx.terms) if j != i]
            known = set(ctx.out).union(*others)
            unique = "".join(dict.fromkeys(c for c in term if c in known))
            inputs = [g] + [x for j, x in enumerate(arrays) if j != i]
            part = np.einsum(",".join([ctx.out] + others) + "->" + unique, *inputs, optimize=len(inputs) > 2)
            sizes = {c: n for c, n in zip(term, a.shape)}
            full_unique = "".join(dict.fromkeys(term))
            # letters of this operand that nothing else has were summed away: the gradient is constant along them
            part = np.einsum(unique + "->" + "".join(c for c in full_unique if c in unique), part)
            shape = tuple(sizes[c] if c in unique else 1 for c in full_unique)
            part = np.broadcast_to(part.reshape(shape), tuple(sizes[c] for c in full_unique))
            if term == full_unique:
                grads.append(np.array(part, dtype=g.dtype))
                continue
            grad = np.zeros(a.shape, dtype=g.dtype)
            np.einsum(term + "->" + full_unique, grad)[...] = part   # a writeable view of the diagonal
            grads.append(grad)
        return tuple(grads)
