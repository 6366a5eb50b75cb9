"""Train a tiny CNN with minigrad's public API: tell horizontal from vertical bars in noisy 12x12 images."""
import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import nn

mg.manual_seed(0)
rng = np.random.default_rng(0)
y = rng.integers(0, 2, 512)                              # 0: horizontal bar, 1: vertical bar
x = rng.normal(0, 0.3, (512, 1, 12, 12)).astype(np.float32)
for img, label, pos in zip(x, y, rng.integers(2, 10, 512)):
    (img[0, pos, 2:10] if label == 0 else img[0, 2:10, pos])[...] += 1.0

model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 2))
opt = mg.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(3):
    for i in range(0, 512, 64):
        loss = F.cross_entropy(model(mg.Tensor(x[i:i + 64])), y[i:i + 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with mg.no_grad():
        acc = (model.eval()(mg.Tensor(x)).argmax(axis=1).data == y).mean()
    model.train()
    print(f"epoch {epoch}: loss {loss.item():.3f}, train accuracy {acc:.2%}")
