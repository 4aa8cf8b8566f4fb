"""Tables for reports: aligned plain text for terminals, HTML for Jupyter.

Every report object in minprune prints through these two functions, so they all
look alike: first column left-aligned, the others right-aligned, a rule under
the header and, when the last row is a total, a rule above it.
"""
from __future__ import annotations

import html


def text_table(headers, rows, *, title="", total=False):
    """Aligned plain-text table.

    Parameters
    ----------
    headers : sequence of str
    rows : sequence of sequence
        Cells, turned into text with ``str``.
    title : str
        A line above the table (omitted when empty).
    total : bool
        The last row is a total: draw a rule above it.

    Returns
    -------
    str
    """
    cells = [list(map(str, headers))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(headers))]

    def line(r):
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                         for j, (c, w) in enumerate(zip(r, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(r) for r in cells[1:]]
    if total and body:
        body.insert(len(body) - 1, rule)
    return "\n".join(([title] if title else []) + [line(cells[0]), rule] + body)


def html_table(headers, rows, *, title="", total=False):
    """The same table as HTML; a total row is set in bold."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = []
    for k, r in enumerate(rows):
        tag = "th" if total and k == len(rows) - 1 else "td"
        cells = "".join(f'<{tag} style="text-align:{"left" if j == 0 else "right"}">'
                        f"{html.escape(str(c))}</{tag}>" for j, c in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(title)}</caption>" if title else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
