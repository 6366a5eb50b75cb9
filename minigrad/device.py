"""torch.device and torch.cuda's availability checks, for code that picks a device: only the CPU exists."""


class device:
    def __init__(self, type="cpu", index=None):
        kind, _, idx = str(type).partition(":")
        if kind != "cpu":
            raise RuntimeError(f"device({str(type)!r}): minigrad runs on the CPU only")
        self.type, self.index = kind, int(idx) if idx else index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type={self.type!r})" if self.index is None else \
            f"device(type={self.type!r}, index={self.index})"

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


class cuda:
    """torch.cuda's queries: no GPU backend."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0
