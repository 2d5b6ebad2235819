"""``weaklabel report``: one self-contained HTML page about the LFs, their conflicts and the labels.

:func:`report` reads the votes in row blocks (:mod:`.collect`), renders the page
(:mod:`.page`, charts in :mod:`.svg`) and writes it atomically. :mod:`.notebook` holds the
compact ``_repr_html_`` views of a vote matrix, an LF summary and a fitted model.
"""

from __future__ import annotations

from pathlib import Path

from .collect import ReportData, collect


def report(votes, output=None, *, labels=None, data=None, text_col: str = "text", gold=None,
           label_col: str = "label", model=None, samples: int = 3, worst: int = 10, seed: int = 0,
           block_rows: int | None = None, title: str | None = None, force: bool = False):
    """Build the HTML report of ``votes`` (a votes.parquet path or a :class:`~weaklabel.VoteMatrix`).

    ``labels``: labels.parquet of these votes; ``data`` + ``text_col``: the table the LFs ran on,
    for the text of sampled rows; ``gold`` + ``label_col``: gold labels (a table path or a
    DataFrame, matched by id columns, else by position); ``model``: a fitted label model or a
    model.json path. ``samples`` rows per LF and section and ``worst`` confidently wrong rows are
    shown, drawn with ``seed``. With ``output`` the page is written there (atomically; an
    existing file only with ``force``) and the path is returned; without, the HTML text is.
    """
    from ..io import check_distinct, check_output
    from .page import render

    if output is not None:
        check_output(output, force)
        # with force, `-o votes.parquet` replaced the votes (or the data, gold, labels, model)
        # with the page
        check_distinct([x for x in (votes, labels, data, gold, model) if isinstance(x, (str, Path))], [output])
        if Path(output).suffix.lower() not in (".html", ".htm"):   # as fit's labels must be *.parquet
            from ..errors import InputError

            found = f"not {Path(output).suffix}" if Path(output).suffix else "and the name has no .html suffix"
            raise InputError(f"{output}: weaklabel writes the report as HTML, {found}: name it "
                             f"{Path(output).with_suffix('.html').name}")
    rd = collect(votes, labels=labels, data=data, text_col=text_col, gold=gold, label_col=label_col, model=model,
                 samples=samples, worst=worst, seed=seed, block_rows=block_rows)
    given = (("votes", votes), ("labels", labels), ("data", data), ("gold", gold), ("model", model))
    rd.sources = {k: str(v) if isinstance(v, (str, Path)) else f"<{type(v).__name__}>"
                  for k, v in given if v is not None}
    text = render(rd, title=title or "weaklabel report", seed=seed)
    if output is None:
        return text
    from ..io import atomic_output

    with atomic_output(output, force) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(output)


__all__ = ["report", "collect", "ReportData"]
