"""The checker's entry: :func:`check_certificate` checks a count, max or verify certificate
(``polyregions-certificate/1``, ``polyregions-max-certificate/1``,
``polyregions-verify-certificate/1``), :func:`read_certificate` and
:func:`parse_certificate` read one within the certificate limits, and :func:`report`
says what a valid one proves. This is the checker's public face: ``__all__`` also names
what it takes from the modules below (:class:`CheckFailure`, :func:`model_digest`, the
domains' helpers, the formats and limits), so callers import from here; the command
line is :mod:`.command`.

The checker uses only Python's standard library, the model file, and
:mod:`.fileformat` beside it (the package's one reader of numbers, JSON and model files,
which ``polyregions count`` reads models with): no cdd, no sympy, no floats and no
engine code. Every pre-activation is recomputed from the weights along the decision
tree (:mod:`.regions`; query certificates: :mod:`.queries`).

What it is about. The counts hold on the certificate's own domain, for the model whose
digest it names. A valid proof about a smaller box proves nothing about the domain
someone asks for, so :func:`check_certificate` compares the certificate's domain with
the expected one (the same inequalities up to order, positive scaling, duplicates and
trivial rows; :func:`.command.main` takes ``--box LO HI``, ``--domain FILE`` or, without either,
all of R^n0), and :func:`report` prints the domain proved and the model's digest and
architecture beside the counts.
"""

from __future__ import annotations

from .common import MAX_CERTIFICATE_BYTES, MAX_CERTIFICATE_DIGITS, CheckFailure, large_certificate
from .domains import box_domain, describe_domain, domain_rows
from .fileformat import loads, read_file
from .models import describe_model, model_digest
from .queries import (BOXES_FORMAT, MAX_FORMAT, UNION_FORMAT, VERIFY_FORMAT, VERIFY_FORMATS, check_max, check_verify,
                      check_verify_boxes, check_verify_union)
from .regions import FORMAT, check_count

__all__ = ["check_certificate", "model_digest", "read_certificate", "parse_certificate", "CheckFailure",
           "describe_domain", "describe_model", "report", "domain_rows", "box_domain", "large_certificate",
           "FORMAT", "MAX_FORMAT", "VERIFY_FORMAT", "BOXES_FORMAT", "UNION_FORMAT", "VERIFY_FORMATS",
           "MAX_CERTIFICATE_DIGITS", "MAX_CERTIFICATE_BYTES"]


def check_certificate(cert, model, domain=None, prop=None, jobs=1):
    """Return what the certificate proves, or raise :class:`CheckFailure` at the first failing item.

    A count certificate (``polyregions-certificate/1``) proves counts; a max certificate
    (``polyregions-max-certificate/1``) an optimum (``{"maximum": "7/2", ...}``, or
    ``"unbounded"``); a verify certificate (``polyregions-verify-certificate/1``) that a
    property holds or is violated, and a boxes certificate
    (``polyregions-verify-boxes-certificate/1``, :mod:`.boxes`) that it holds on a box. *prop* (verify certificates only: ``{"input": {"A":
    ..., "b": ...}, "unsafe": [...]}``) is the property the proof must be about: the
    same unsafe rows up to order, scaling and repeats, and the same input domain.

    *domain* (``{"A": [...], "b": [...]}``, rows ``a . x <= b`` of exact numbers; no rows for
    all of R^n0) is the domain the count must be about: the certificate's domain must be
    the same set of inequalities, up to order, positive scaling, duplicates and trivial
    rows, or the check fails (a valid proof about another domain is not a proof about
    this one). With None the domain is not compared: read it from :func:`describe_domain`.

    *jobs*: worker processes for the leaves of boxes certificates (the other kinds are
    checked in this process).
    """
    if type(jobs) is not int or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    fmt = cert.get("format") if type(cert) is dict else None
    try:
        if fmt in (MAX_FORMAT,) + VERIFY_FORMATS:
            with large_certificate():
                if fmt == BOXES_FORMAT:
                    return check_verify_boxes(cert, model, domain, prop, jobs)
                if fmt == UNION_FORMAT:
                    return check_verify_union(cert, model, domain, prop, jobs)
                if fmt == MAX_FORMAT:
                    return check_max(cert, model, domain)
                return check_verify(cert, model, domain, prop)
        return check_count(cert, model, domain)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise CheckFailure(f"malformed certificate or model: {type(exc).__name__}: {str(exc)[:200]}") from None
    except RecursionError:
        raise CheckFailure("malformed certificate or model: nested too deeply") from None


def read_certificate(path):
    """A certificate file parsed with exact numbers and the certificate limits, or FormatError."""
    return parse_certificate(read_file(path, "certificate file", MAX_CERTIFICATE_BYTES), str(path))


def parse_certificate(text, source="certificate"):
    """Certificate JSON text parsed with exact numbers and the certificate limits, or FormatError."""
    with large_certificate():
        return loads(text, source, MAX_CERTIFICATE_DIGITS)


def report(counts, cert, model, seconds=None):
    """The lines printed for a valid certificate: the counts, then what they are about."""
    n = int(model["input_dim"])
    timing = "" if seconds is None else f" ({seconds:.3f} s)"
    where = (f"the union of {len(cert['parts'])} input sets ({describe_domain(cert['parts'][0]['domain'], n)}, ...)"
             if cert.get("format") == UNION_FORMAT else describe_domain(cert["domain"], n))
    return ["VALID " + " ".join(f"{k}={v}" for k, v in counts.items()) + timing,
            f"domain: {where}",
            f"model:  sha256 {model_digest(model)} ({describe_model(model)})"]
