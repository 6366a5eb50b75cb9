"""One training script, two libraries: this is plain PyTorch code, and it runs on minigrad when the import
line below reads `import minigrad as torch`. Nothing else changes.

An MLP and a small CNN learn to tell three 8x8 patterns apart (a horizontal bar, a vertical bar, a diagonal)
with nn.CrossEntropyLoss, a DataLoader, F.pad, view/permute/transpose, .grad inspection, max(1) and a manual
SGD step. tests/test_torch_port.py runs it both ways from the same initial weights (handed over through
state_dict) and checks that every loss agrees to 1e-4.

    python examples/torch_port.py
"""
import numpy as np

import torch  # the only line to change: `import minigrad as torch`

nn = torch.nn
F = torch.nn.functional
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


def make_data(n=192, seed=0):
    """(n, 1, 8, 8) float32 images with noise and their classes (int64)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    pos = rng.integers(1, 7, n)
    for i in range(n):            # data generation, once, outside the training loop
        if y[i] == 0:
            x[i, 0, pos[i], 1:7] += 1.0
        elif y[i] == 1:
            x[i, 0, 1:7, pos[i]] += 1.0
        else:
            x[i, 0, np.arange(8), np.arange(8)] += 1.0
    return torch.tensor(x), torch.tensor(y)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x.view(x.shape[0], -1))))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 3)
        self.norm = nn.LayerNorm(6)
        self.head = nn.Sequential(nn.Dropout(0.0), nn.Linear(6 * 4 * 4, 3))

    def forward(self, x):
        x = F.pad(x, (1, 1, 1, 1))                  # 8x8 -> 10x10, so the 3x3 conv keeps 8x8
        x = F.max_pool2d(F.relu(self.conv(x)), 2)   # (N, 6, 4, 4)
        x = self.norm(x.permute(0, 2, 3, 1))        # channels last, normalised over channels
        x = x.transpose(1, 2)                       # swap H and W
        return self.head(x.reshape(x.shape[0], -1))


def train(model, x, y, epochs=5, lr=0.2, batch_size=32):
    """Manual SGD; returns every step's loss and the squared gradient norm seen at each step."""
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False, drop_last=True)
    loss_fn = nn.CrossEntropyLoss()
    losses, grad_norms = [], []
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            model.zero_grad()
            loss.backward()
            grad_norms.append(sum(float((p.grad ** 2).sum()) for p in model.parameters()))
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    return losses, grad_norms


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = model(x).max(1)[1]              # max over dim 1: (values, indices)
        return (predicted == y).float().mean().item()


def main(initial_states=None):
    """Train both models (from the given state_dicts, as {name: ndarray}, when given) and report."""
    torch.manual_seed(0)
    x, y = make_data()
    results = {}
    for name, model in (("mlp", MLP()), ("cnn", SmallCNN())):
        if initial_states is not None:
            model.load_state_dict({k: torch.tensor(v) for k, v in initial_states[name].items()})
        start = {k: np.asarray(v).copy() for k, v in model.state_dict().items()}
        losses, grad_norms = train(model, x, y)
        results[name] = dict(initial_state=start, losses=losses, grad_norms=grad_norms,
                             accuracy=accuracy(model, x, y))
        print(f"{name}: loss {losses[0]:.4f} -> {losses[-1]:.4f}, training accuracy {results[name]['accuracy']:.3f}")
    return results


if __name__ == "__main__":
    main()
