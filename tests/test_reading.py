"""digitsum.read: files, folders, .npy files and arrays in; each image's name, digits and sum out,
the same as the reader gives on the converted arrays."""
import numpy as np
import pytest
from PIL import Image

import digitsum
import minigrad as mg
from digitsum.data import compose as C
from digitsum.models import checkpoints as checkpoint
from digitsum.models import digit_reader
from digitsum.cli import UserError
from digitsum.data.pictures import to_course_format
from digitsum.engine.inference import run_batches
from fake_mnist import fake  # noqa: F401  (fixture)

SMALL = {"channels": [4, 4, 4], "hidden": 8, "ink_height": [17, 23, 20]}


@pytest.fixture
def reader(tmp_path):
    mg.manual_seed(0)
    model = digit_reader.SPEC.build(SMALL)
    path = tmp_path / "reader.npz"
    checkpoint.save(path, digit_reader.SPEC, model, SMALL)
    return path


def test_read_files_folders_npy_and_arrays(reader, fake, tmp_path):
    x, _, _ = C.compose(fake.test_images, fake.test_labels, 3, seed=0)
    folder = tmp_path / "scans"
    folder.mkdir()
    for i, img in enumerate(x):                               # dark ink on white paper, 2x the size
        Image.fromarray(255 - img).resize((2 * C.W, 2 * C.H)).save(folder / f"row{i}.png")
    np.save(tmp_path / "x.npy", x)

    from_files = digitsum.read(folder, checkpoint=reader)
    assert [r["image"] for r in from_files] == ["row0.png", "row1.png", "row2.png"]
    converted = np.stack([to_course_format(np.asarray(Image.open(folder / f"row{i}.png"))) for i in range(3)])
    spec, model = checkpoint.rebuild(checkpoint.load(reader))
    pred, _, out = run_batches(spec, model, converted, SMALL)
    assert [r["sum"] for r in from_files] == list(pred)
    assert [r["digits"] for r in from_files] == [list(map(int, d)) for d in spec.read_digits(out, pred)]

    from_npy = digitsum.read(tmp_path / "x.npy", checkpoint=reader)
    from_array = digitsum.read(x, checkpoint=reader)
    assert [r["image"] for r in from_npy] == ["0", "1", "2"]
    assert [(r["digits"], r["sum"]) for r in from_npy] == [(r["digits"], r["sum"]) for r in from_array]
    one = digitsum.read([255 - x[0]], checkpoint=reader)       # a list of 2-D images of any polarity
    assert len(one) == 1 and isinstance(one[0]["sum"], int)


def test_read_refuses_what_it_cannot_read(reader, tmp_path):
    (tmp_path / "bad.png").write_text("no image here")
    with pytest.raises(UserError, match="bad.png"):
        digitsum.read([tmp_path / "bad.png"], checkpoint=reader)
    with pytest.raises(UserError, match="no images"):
        digitsum.read([], checkpoint=reader)

