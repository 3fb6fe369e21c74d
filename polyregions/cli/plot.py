"""Pictures: plot (an image, or the interactive HTML explorer).

Each command has ``add_<command>(parser)``, which declares its arguments, and
``run_<command>(args)``, which runs it and returns the exit code; :data:`COMMANDS` lists
them for the command table of :mod:`polyregions.cli`.
"""

from __future__ import annotations

import argparse
import time

from ..core.domain import Domain
from ..errors import InputError
from ..io.models import model_input_shape
from ..rationals import counted
from ..views.explorer import require_plotly, write_explorer
from ..views.images import SliceImages, image_shape_of, parse_image_shape
from ..views.plot import image_format, plot_network, require_matplotlib
from .common import domain_options, model_argument, note, print_note, problem


def add_plot(parser: argparse.ArgumentParser) -> None:
    parser.description = ('Draw the exact activation regions of a 2-input network, or of a 2-D --slice of a bigger '
                          'one, '
                       'filled by linear region with boundaries styled per layer; a 1-input network is drawn as the '
                       'graph of its function with every breakpoint marked. Without --box, --domain or --slice the '
                       'domain is [-1, 1]^n.')
    model_argument(parser)
    domain_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE.png|FILE.svg|FILE.pdf|FILE.html",
                      help="output image; the extension picks the format (written atomically); .html "
                           "writes the interactive region explorer, one self-contained file")
    parser.add_argument("--graph", action="store_true",
                      help="overlay the region adjacency graph (nodes at interior points)")
    parser.add_argument("--heatmap", action="store_true",
                      help="colour by the network's first output instead of by linear region")
    parser.add_argument("--level-set", action="store_true",
                      help="draw the level set output_1 = 0")
    parser.add_argument("--decision", action="store_true",
                      help="draw the decision boundary, exactly: where the argmax of the outputs changes (one "
                           "output: where it is 0)")
    images = parser.add_mutually_exclusive_group()
    images.add_argument("--image-shape", metavar="C,H,W",
                        help="with --slice: the slice points are images of this shape (C = 1 or 3; or H,W), drawn "
                             "beside their points P0 (0,0), P1 (1,0), P2 (0,1); an ONNX model whose input is "
                             "such an image has them drawn without this option")
    images.add_argument("--no-images", action="store_true",
                        help="with --slice: do not draw the slice points as images")
    parser.add_argument("--title", metavar="TEXT", help="title of the picture")


def run_plot(args: argparse.Namespace) -> int:
    html = args.output.lower().endswith(".html")
    if html:
        if args.heatmap:
            raise InputError("plot: --heatmap is for images (.png, .svg, .pdf), not for the .html explorer")
        require_plotly()
    else:
        image_format(args.output)
        require_matplotlib()
    network, domain = problem(args)
    n = network.input_dim
    if n > 2 and args.slice is None:
        raise InputError(f"plot: the network has {n} inputs; plot a 2-D slice with "
                         "--slice P0 P1 P2 (the plane through three input points)")
    label = None
    if domain.kind == "all":
        domain = Domain.box(n, -1, 1)
        label = f"{domain.describe()} (default domain)"
    start = time.perf_counter()
    title = args.title or args.model
    if note(args):
        title += f" (weights rationalized to denominators <= {args.rationalize})"
    axis_labels = ("s", "t") if args.slice is not None else ("x1", "x2")
    images = slice_images(args)
    if html:
        summary = write_explorer(network, domain, args.output, title=title, domain_label=label,
                                 axis_labels=axis_labels, level_set=args.level_set, decision=args.decision,
                                 images=images, note=note(args))
    else:
        summary = plot_network(network, domain, args.output, graph=args.graph, heatmap=args.heatmap,
                               level_set=args.level_set, decision=args.decision, images=images, title=title,
                               domain_label=label, axis_labels=axis_labels)
    seconds = time.perf_counter() - start
    print(f"wrote {args.output}: {counted(summary.activation_regions, 'activation region')}, "
          f"{counted(summary.linear_regions, 'linear region')} on {label or domain.describe()} "
          f"in {seconds:.3f} s")
    print_note(args)
    return 0


def slice_images(args: argparse.Namespace) -> SliceImages | None:
    """The slice points as images to draw: of the shape --image-shape gives, else of the model's
    input shape when that is an image (an ONNX model), else none; none with --no-images."""
    if args.slice is None:
        if args.image_shape is not None or args.no_images:
            raise InputError(f"plot: {'--image-shape' if args.image_shape else '--no-images'} is for a --slice "
                             "view (the images are its three points)")
        return None
    if args.no_images:
        return None
    points = args.sliced[1]
    if args.image_shape is not None:
        shape = parse_image_shape(args.image_shape)
        try:
            return SliceImages.from_points(points, shape)
        except InputError as exc:
            raise InputError(f"--image-shape {args.image_shape}: {exc}") from None
    shape = image_shape_of(model_input_shape(args.model, args.input_dim))
    return None if shape is None else SliceImages.from_points(points, shape)


#: command -> (declare its arguments, run it), for the command table of polyregions.cli.
COMMANDS = {
    "plot": (add_plot, run_plot),
}
