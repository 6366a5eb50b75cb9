"""python -m digitsum.weights vgg16 [--home DIR]: fetch and convert the default VGG16 weights ahead of first use.

Prints the converted file's path (see digitsum.models.vgg16_weights for where the weights come from).
"""
from digitsum.cli import ArgumentParser, run
from digitsum.models.vgg16_weights import vgg16_weights_path


def main(argv=None):
    parser = ArgumentParser(prog="python -m digitsum.weights", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=["vgg16"], help="which default weights to fetch")
    parser.add_argument("--home", help="cache root (default $DIGITSUM_HOME or ~/.cache/digitsum)")
    args = parser.parse_args(argv)
    print(vgg16_weights_path(home=args.home))
    return 0


if __name__ == "__main__":
    run(main)
