"""digitsum: predict the sum of four handwritten digits, built on minigrad."""


def read(images_or_paths, checkpoint=None, batch_size=256):
    """Each image's digits and sum: [{"image": name, "digits": [7, 2, 5, 1], "sum": 15}, ...].

    images_or_paths: image files (PNG, JPEG, ...), folders of them, .npy files of (N, 40, 168) uint8
    images, or arrays (course-format batches or 2-D images of any size). checkpoint: default the shipped
    digit reader. See digitsum.engine.reading."""
    from digitsum.engine.reading import read as read_images
    return read_images(images_or_paths, checkpoint, batch_size)
