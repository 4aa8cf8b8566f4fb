"""Command line: ``python -m minprune tour|glossary|site DIR|course DIR`` (also the ``minprune``
console script).

Every failure is one line on standard error and a non-zero exit status (2 for a
bad argument or an error of the run, 1 for a file the system refused to write,
130 for Ctrl-C); no traceback. A reader that stops early (``... | head -1``)
ends the command quietly with status 141, as other command-line tools do.
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from . import __version__

# run_tour's parameter -> the flag a command-line user typed, for error messages
_FLAGS = {"weight_sparsity": "--sparsity", "neuron_fraction": "--neurons", "seed": "--seed",
          "epochs": "--epochs", "data": "--data", "out": "--out", "force": "--force"}
_PARAMETER = re.compile(r"(?<![\w-])(" + "|".join(_FLAGS) + r")(?= must\b| folder\b|=)")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _flag_names(message):
    """`message` on one line, with run_tour's parameter names written as the flags that
    set them."""
    message = "; ".join(line.strip() for line in str(message).splitlines() if line.strip())
    return _PARAMETER.sub(lambda m: _FLAGS[m[1]], message)


def _os_error(exc):
    """One readable line for an OSError: what the system said, about which path."""
    text = exc.strerror or str(exc)
    return f"{text}: {exc.filename!r}" if exc.filename else text


def build_parser():
    parser = _Parser(
        prog="minprune",
        description="minprune: neural-network pruning taught from scratch.",
        epilog="Run 'minprune tour --help' for the tour's options.")
    parser.add_argument("--version", action="version", version=f"minprune {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
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
    site = sub.add_parser(
        "site", help="build the course website (static HTML) from the stored notebook outputs",
        description="Build the course website into DIR: the course map, every notebook with its "
                    "stored outputs (nothing is executed), the glossary with hover cards, the FAQ, "
                    "the history and the README's measured figures. Needs the docs extra: "
                    "python -m pip install \"minprune[docs]\". Warnings are errors; every link "
                    "of the result is checked.")
    site.add_argument("dir", metavar="DIR", help="output folder (new, empty, or an earlier site build)")
    site.add_argument("--jobs", type=int, default=1, metavar="N", help="Sphinx processes (default: 1)")
    course = sub.add_parser(
        "course", help="copy the course notebooks, course map and glossary into a folder",
        description="Copy the notebooks (with their stored outputs and solutions), the course map "
                    "and the glossary into DIR, then start with 'jupyter lab DIR'. Run it again "
                    "after upgrading minprune: files you have not edited are updated, files you "
                    "edited are kept (and listed).")
    course.add_argument("dir", metavar="DIR", help="folder for the course (created if missing)")
    course.add_argument("--replace-edited", action="store_true",
                        help="also replace files you edited; your version is first renamed to "
                             "NAME.edited.ipynb (NAME.edited-2.ipynb, ...)")
    glossary = sub.add_parser("glossary", help="print the glossary card of a term, or the FAQ")
    glossary.add_argument("term", nargs="?", help="a term or alias; omit to print the FAQ")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    name = f"minprune {args.command}"
    try:
        if args.command == "tour":
            from .tour import run_tour

            run_tour(args.data, args.out, seed=args.seed, epochs=args.epochs,
                     weight_sparsity=args.sparsity, neuron_fraction=args.neurons, force=args.force)
        elif args.command == "site":
            from .site import build_site

            try:
                print(build_site(args.dir, jobs=args.jobs))
            except (ImportError, RuntimeError) as exc:
                print(f"{name}: error: {_flag_names(exc)}", file=sys.stderr)
                return 2
        elif args.command == "course":
            from .course import copy_course

            print(copy_course(args.dir, replace_edited=args.replace_edited))
        else:
            from . import glossary

            print(glossary.faq() if args.term is None else glossary.show(args.term))
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
    except BrokenPipeError:
        # The reader went away (`| head -1`): nothing is wrong with the command. Point
        # standard output at /dev/null so Python's final flush does not complain.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 141
    except (ValueError, TypeError, LookupError) as exc:
        print(f"{name}: error: {_flag_names(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = {"tour": f"cannot write in --out {getattr(args, 'out', '')!r}: ",
                 "site": f"cannot write in {getattr(args, 'dir', '')!r}: ",
                 "course": f"cannot write in {getattr(args, 'dir', '')!r}: "}.get(args.command, "")
        print(f"{name}: error: {where}{_flag_names(_os_error(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted; files already written are complete, the others were "
              f"not started", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
