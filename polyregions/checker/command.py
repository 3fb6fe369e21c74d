"""The checker's command line: ``python -m polyregions.checker CERT.json MODEL.json [--box LO
HI | --domain FILE]`` (:func:`main`), which prints VALID with what the certificate proves
(exit 0), INVALID with the reason (exit 1), or an error for input it cannot use (exit 2).
"""

from __future__ import annotations

import sys

from .check import check_certificate, parse_certificate, report
from .common import MAX_CERTIFICATE_BYTES, CheckFailure
from .domains import box_domain, domain_rows
from .fileformat import FormatError, UnreadableFile, loads, read_file, read_model
from .queries import VERIFY_FORMATS

USAGE = "usage: python -m polyregions.checker CERT.json MODEL.json [--box LO HI | --domain FILE] [--jobs N]"
#: The most worker processes ``--jobs`` takes.
MAX_CHECK_JOBS = 256


#: Said under a valid verify certificate checked without a property to compare with.
OWN_PROPERTY = ("property: the one stored in the certificate (compare it with yours: "
                "polyregions check CERT MODEL --property FILE)")


def _arguments(args):
    """(certificate path, model path, box or None, domain path or None, jobs) from the command
    line, or None when it is not one."""
    positional, box, domain, jobs = [], None, None, None
    i = 0
    while i < len(args):
        if args[i] == "--box" and i + 2 < len(args) and box is None:
            box = (args[i + 1], args[i + 2])
            i += 3
        elif args[i] == "--domain" and i + 1 < len(args) and domain is None:
            domain = args[i + 1]
            i += 2
        elif args[i] == "--jobs" and i + 1 < len(args) and jobs is None:
            jobs = args[i + 1]
            i += 2
        else:
            positional.append(args[i])
            i += 1
    if len(positional) != 2 or any(a.startswith("--") for a in positional) or (box and domain):
        return None
    if jobs is None:
        jobs = 1
    elif jobs.isdigit() and 1 <= int(jobs) <= MAX_CHECK_JOBS:
        jobs = int(jobs)
    else:
        return None
    return positional[0], positional[1], box, domain, jobs


def main(argv=None):
    """``python -m polyregions.checker CERT.json MODEL.json [--box LO HI | --domain FILE] [--jobs N]``.

    Prints VALID with the counts, the domain proved and the model's digest and
    architecture (exit 0), or INVALID with the reason (exit 1): the certificate was read
    and proves nothing here (its file is not a certificate, or an item fails). The count
    must be about the domain given: ``--box LO HI`` (numbers, or one per coordinate,
    comma-separated), ``--domain FILE`` (``{"A": [[...]], "b": [...]}``) or, without
    either, all of R^n0. Inputs that cannot be used (a file that cannot be opened, a model
    or domain that is not one, a bad --box) are an error on stderr (exit 2), as for
    ``polyregions check``. ``--jobs N`` (1 to 256) checks the boxes of a verify
    certificate by input splitting on N worker processes.
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        print("Verifies a certificate written by `polyregions certify`, `max -o` or `verify -o` against a "
              "polyregions JSON model (convert others with `polyregions convert`): VALID (exit 0), INVALID "
              "(exit 1), unusable input such as a missing file or a malformed model (exit 2). Counts must be "
              "about the domain given (--box, --domain, or all of R^n0); a verify certificate proves the "
              "property stored in it (compare it with yours: polyregions check CERT MODEL --property FILE). "
              "--jobs N checks the boxes of a verify certificate by input splitting on N processes.")
        return 0
    parsed = _arguments(argv)
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    cert_path, model_path, box, domain_path, jobs = parsed
    try:
        try:
            model, domain = _inputs(model_path, box, domain_path)
            text = read_file(cert_path, "certificate file", MAX_CERTIFICATE_BYTES)
        except (UnreadableFile, _BadInput) as exc:
            print(f"checker: error: {exc}", file=sys.stderr)
            return 2
        except FormatError as exc:  # the certificate file's content: too large, binary, not UTF-8
            print(f"INVALID: {exc}")
            return 1
        try:
            cert = parse_certificate(text, str(cert_path))
            if domain is None and not (type(cert) is dict and cert.get("format") in VERIFY_FORMATS):
                domain = {"A": [], "b": []}  # (a verify certificate's domain is its property's inputs)
            counts = check_certificate(cert, model, domain, jobs=jobs)
            lines = report(counts, cert, model)
            if cert.get("format") in VERIFY_FORMATS:
                lines.append(OWN_PROPERTY)
        except (FormatError, CheckFailure) as exc:
            print(f"INVALID: {exc}")
            return 1
        except (KeyError, TypeError, ValueError) as exc:
            print(f"INVALID: malformed certificate: {type(exc).__name__}: {exc}")
            return 1
    except KeyboardInterrupt:
        print("checker: interrupted", file=sys.stderr)
        return 130
    print("\n".join(lines))
    return 0


class _BadInput(Exception):
    """A model, domain or --box the checker cannot use (exit 2, not INVALID)."""


def _inputs(model_path, box, domain_path):
    """The model (validated) and the domain asked for (None: not given), or _BadInput."""
    model = None
    try:
        model = loads(read_file(model_path, "model file"), model_path)
        n, _ = read_model(model)
    except UnreadableFile:
        raise
    except FormatError as exc:
        where = "" if model is None else f"{model_path}: "  # (the JSON reader names the file)
        raise _BadInput(f"{where}{exc} (this checker reads polyregions JSON models: convert an ONNX or PyTorch model "
                        "with `polyregions convert MODEL -o MODEL.json`)") from None
    try:
        if box is not None:
            return model, box_domain(box[0], box[1], n)
        if domain_path is None:
            return model, None
        domain = loads(read_file(domain_path, "domain file"), domain_path)
        if type(domain) is not dict or not {"A", "b"} <= set(domain) <= {"A", "b", "description"}:
            raise CheckFailure(f"{domain_path}: expected an object with keys A and b (and description)")
        domain_rows(domain, n, domain_path)
        return model, domain
    except UnreadableFile:
        raise
    except (FormatError, CheckFailure) as exc:
        raise _BadInput(str(exc)) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise _BadInput(f"{domain_path}: malformed domain: {type(exc).__name__}: {exc}") from None
