"""The course task's shapes: 40x168 uint8 images of four digits, labelled with their sum 0..36."""
H, W = 40, 168  # image height and width, px
MAX_SUM = 36  # four digits 0-9
NUM_SUMS = MAX_SUM + 1  # classes of a sum classifier, 0..36
