"""Command line: ``python -m minprune tour`` (also the ``minprune`` console script)."""
from __future__ import annotations

import argparse
import sys


def build_parser():
    parser = argparse.ArgumentParser(
        prog="minprune",
        description="minprune: neural-network pruning taught from scratch.",
        epilog="Run 'minprune tour --help' for the tour's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    tour = sub.add_parser(
        "tour", help="train a dense MLP, prune it three ways, print and save the report",
        description="Train a dense MLP, prune it three ways (individual weights, whole neurons, "
                    "structure: shrink and 2:4), fine-tune, print a comparison table (accuracy, "
                    "sparsity, parameters, FLOPs, bytes, measured latency) and save it with the "
                    "figures as PNG files. Headless; well under a minute on a 2-core machine.")
    tour.add_argument("--data", choices=("digits", "mnist1d"), default="digits",
                      help="data set (default: digits, scikit-learn's 8x8 handwritten digits; "
                           "mnist1d is generated offline on first use and cached)")
    tour.add_argument("--out", default="minprune-tour", metavar="DIR",
                      help="folder for report.txt, report.json and the figures "
                           "(default: ./minprune-tour)")
    tour.add_argument("--seed", type=int, default=0, help="seed for data split, weights, "
                      "shuffling and pruning (default: 0)")
    tour.add_argument("--epochs", type=int, default=30, help="training epochs (default: 30)")
    tour.add_argument("--sparsity", type=float, default=0.9, metavar="S",
                      help="fraction of weights removed by weight pruning (default: 0.9)")
    tour.add_argument("--neurons", type=float, default=0.5, metavar="F",
                      help="fraction of hidden neurons removed by neuron pruning (default: 0.5)")
    tour.add_argument("--force", action="store_true",
                      help="write beside the files of a non-empty folder the tour did not "
                           "make; files named like the tour's outputs (report.txt, "
                           "report.json, the PNGs) are never overwritten")
    glossary = sub.add_parser("glossary", help="print the glossary card of a term, or the FAQ")
    glossary.add_argument("term", nargs="?", help="a term or alias; omit to print the FAQ")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "tour":
            from .tour import run_tour

            run_tour(args.data, args.out, seed=args.seed, epochs=args.epochs,
                     weight_sparsity=args.sparsity, neuron_fraction=args.neurons, force=args.force)
        else:
            from . import glossary

            print(glossary.faq() if args.term is None else glossary.show(args.term))
    except (ValueError, TypeError, LookupError) as exc:
        print(f"minprune {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
