"""The minprune glossary: pruning terms, a cited FAQ, and definition cards for Jupyter.

The entries live as MyST Markdown files under ``glossary/terms/<slug>.md``; the FAQ
lives in ``glossary/faq.md``. This module reads them (stdlib only, no YAML library),
renders them back to canonical Markdown, and shows them in a notebook::

    >>> from minprune import glossary
    >>> glossary.show("saliency")            # doctest: +SKIP
    >>> glossary.faq()                       # doctest: +SKIP
    >>> glossary.lookup("2:4 sparsity").term
    'N:M sparsity'

Look-ups ignore case, treat ``-``/``_`` like spaces and accept aliases. An unknown term
raises :class:`UnknownTermError` (a :class:`KeyError`, hence a :class:`LookupError`)
whose message suggests close matches.

This module deliberately imports nothing else from minprune, so it keeps working while
the rest of the package changes.

File format
-----------
Each entry starts with a metadata block that is also valid YAML front matter, then
one ``#`` title and the eleven ``##`` sections of :data:`SECTIONS`, in that order::

    ---
    term: weight pruning
    aliases: [unstructured pruning, fine-grained pruning]
    summary: One plain sentence, used by the glossary index.
    ---

    # Weight pruning

    ## Definition
    ...
    ## References

    - Han, S., Pool, J., Tran, J., & Dally, W. J. (2015). Title. *Venue*, pages.

Only ``key: value`` lines are understood, where a value is plain text or a flow list
``[a, b]``; values must not contain ``": "``, ``" #"``, ``[`` or ``]``.
"""
from __future__ import annotations

import difflib
import functools
import html
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

__all__ = [
    "SECTIONS",
    "Card",
    "Entry",
    "FAQ",
    "FAQItem",
    "GlossaryNotFoundError",
    "Link",
    "Reference",
    "UnknownTermError",
    "anchor",
    "entries",
    "entry",
    "faq",
    "lookup",
    "normalize",
    "notebook_anchors",
    "notebook_headings",
    "notebook_text",
    "parse_entry",
    "parse_faq",
    "parse_reference",
    "render_entry",
    "render_faq",
    "render_index",
    "shared_runs",
    "show",
    "slugify",
    "term_roles",
    "terms",
    "tokens",
]

#: ``(attribute, heading)`` for the sections every entry has, in file order.
SECTIONS = (
    ("definition", "Definition"),
    ("explained_simply", "Explained simply"),
    ("origin", "Origin"),
    ("etymology", "Etymology"),
    ("usage", "Usage and trends"),
    ("typical_phrases", "Typical phrases"),
    ("examples", "Examples in context"),
    ("faq", "FAQ"),
    ("related_terms", "Related terms"),
    ("did_you_know", "Did you know?"),
    ("references", "References"),
)

_TEXT_WIDTH = 79


# --------------------------------------------------------------------------- errors


class GlossaryNotFoundError(FileNotFoundError):
    """The ``glossary/`` folder with the Markdown entries could not be found."""


class UnknownTermError(KeyError):
    """A term that is neither a glossary term nor an alias.

    A :class:`KeyError` (so also a :class:`LookupError`) whose message names the
    term and suggests close matches.

    Attributes
    ----------
    term : str
        The term as given.
    suggestions : tuple of str
        Close matches among terms and aliases, best first (may be empty).
    """

    def __init__(self, term, suggestions=(), what="glossary term",
                 listing="minprune.glossary.terms() lists every term"):
        self.term = term
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            hint = "did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        else:
            hint = "no close match"
        message = f"unknown {what} {term!r}: {hint} ({listing})"
        super().__init__(message)
        self.message = message

    def __str__(self):  # KeyError would print the message inside quotes
        return self.message


# ------------------------------------------------------------------ data classes


@dataclass(frozen=True)
class Reference:
    """One bibliography line: ``Authors (Year). Title. *Venue*, details.``

    Attributes
    ----------
    authors : str
        Author list as written, e.g. ``"Frankle, J., & Carbin, M."``.
    year : int
        Year of publication.
    title : str
        Title, with its final punctuation.
    venue : str
        Journal, proceedings, publisher or preprint server (the italic part).
    text : str
        The whole line as written in the file (without the leading ``- ``).
    """

    authors: str
    year: int
    title: str
    venue: str
    text: str

    @property
    def first_author(self):
        """str : Surname of the first author (text before the first comma)."""
        return self.authors.split(",")[0].strip()

    def __str__(self):
        return self.text


@dataclass(frozen=True)
class Entry:
    """One glossary entry, as parsed from ``glossary/terms/<slug>.md``.

    Attributes
    ----------
    term : str
        Canonical term, e.g. ``"weight pruning"``.
    aliases : tuple of str
        Other names that look-ups accept, e.g. ``("unstructured pruning",)``.
    summary : str
        One-sentence definition used by the glossary index and the cards.
    definition, explained_simply, origin, etymology, usage, typical_phrases, \
examples, faq, related_terms, did_you_know : str
        The Markdown body of each section of :data:`SECTIONS`.
    references : tuple of Reference
        The parsed ``References`` section.
    path : pathlib.Path or None
        File the entry came from (not part of equality).
    """

    term: str
    aliases: tuple
    summary: str
    definition: str
    explained_simply: str
    origin: str
    etymology: str
    usage: str
    typical_phrases: str
    examples: str
    faq: str
    related_terms: str
    did_you_know: str
    references: tuple
    path: Path | None = field(default=None, compare=False, repr=False)

    @property
    def slug(self):
        """str : File stem of the entry, :func:`slugify` of the term."""
        return slugify(self.term)

    @property
    def title(self):
        """str : The term with its first letter capitalised, used as the heading."""
        return self.term[:1].upper() + self.term[1:]

    @property
    def names(self):
        """tuple of str : The term followed by its aliases."""
        return (self.term,) + self.aliases

    @property
    def related(self):
        """tuple of str : Targets of the ``{term}`` roles in *Related terms*."""
        return tuple(dict.fromkeys(target for _, target in term_roles(self.related_terms)))

    def section(self, heading):
        """Return the Markdown body of a section by its heading, e.g. ``"Did you know?"``.

        Parameters
        ----------
        heading : str
            One of the headings in :data:`SECTIONS` (case-insensitive).

        Returns
        -------
        str
        """
        for attr, name in SECTIONS:
            if name.lower() == heading.strip().lower():
                if attr == "references":
                    return "\n".join(f"- {r.text}" for r in self.references)
                return getattr(self, attr)
        raise KeyError(f"no section {heading!r}; sections are {[h for _, h in SECTIONS]}")

    def to_markdown(self):
        """Return the entry as canonical MyST Markdown (see :func:`render_entry`)."""
        return render_entry(self)


@dataclass(frozen=True)
class Link:
    """A link from the FAQ to a heading of a notebook.

    Attributes
    ----------
    text : str
        Link text.
    href : str
        Target as written in ``glossary/faq.md`` (relative to ``glossary/``).
    """

    text: str
    href: str

    @property
    def notebook(self):
        """str : Notebook path relative to the repository root, e.g. ``notebooks/x.ipynb``."""
        path = self.href.split("#", 1)[0]
        parts = []
        for part in PurePosixPath("glossary", path).parts:
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts)

    @property
    def anchor(self):
        """str : The fragment after ``#`` (a Jupyter heading anchor, see :func:`anchor`)."""
        return self.href.split("#", 1)[1] if "#" in self.href else ""


@dataclass(frozen=True)
class FAQItem:
    """One question of the FAQ with its answer and the notebooks that demonstrate it.

    Attributes
    ----------
    number : int
        Position in the FAQ, from 1.
    question : str
        The question (also the heading in ``notebooks/09_faq_by_experiment.ipynb``).
    answer : str
        The answer, in Markdown.
    experiment : Link
        The notebook section whose cells demonstrate the answer.
    compact : Link
        The compact experiment in the FAQ notebook.
    """

    number: int
    question: str
    answer: str
    experiment: Link
    compact: Link

    def __str__(self):
        body = _md_to_text(self.answer)
        return (f"{self.number}. {self.question}\n\n{body}\n\n"
                f"Run it: {self.experiment.notebook}#{self.experiment.anchor}\n"
                f"Compact experiment: {self.compact.notebook}#{self.compact.anchor}")

    def __repr__(self):
        return str(self)

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))

    def _repr_html_(self):
        return (f'<div class="minprune-faq" style="{_CARD_STYLE}">'
                f"<h4 style=\"margin-top:0\">{self.number}. {html.escape(self.question)}</h4>"
                f"{_md_to_html(self.answer)}"
                f"<p>Run it: {_link_html(self.experiment)} &middot; compact experiment: "
                f"{_link_html(self.compact)}</p></div>")


@dataclass(frozen=True)
class FAQ:
    """The pruning FAQ: an intro, the questions and the shared references.

    Iterating yields :class:`FAQItem` objects; the object renders as a list of
    questions with their links, as HTML in Jupyter and as plain text elsewhere.
    """

    title: str
    intro: str
    items: tuple
    references: tuple
    path: Path | None = field(default=None, compare=False, repr=False)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]

    def __str__(self):
        lines = [self.title, "=" * len(self.title), ""]
        for item in self.items:
            lines.append(f"{item.number:2d}. {item.question}")
            lines.append(f"    run it:  {item.experiment.notebook}#{item.experiment.anchor}")
            lines.append(f"    compact: {item.compact.notebook}#{item.compact.anchor}")
        lines += ["", "Answers: minprune.glossary.faq(n) or glossary/faq.md"]
        return "\n".join(lines)

    def __repr__(self):
        return str(self)

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))

    def _repr_html_(self):
        rows = "".join(
            f"<li>{html.escape(item.question)}<br><small>run it: "
            f"{_link_html(item.experiment)} &middot; compact experiment: "
            f"{_link_html(item.compact)}</small></li>"
            for item in self.items)
        return (f'<div class="minprune-faq" style="{_CARD_STYLE}">'
                f"<h4 style=\"margin-top:0\">{html.escape(self.title)}</h4><ol>{rows}</ol>"
                "<p><small>Answers: <code>minprune.glossary.faq(n)</code> or "
                "<code>glossary/faq.md</code></small></p></div>")


@dataclass(frozen=True)
class Card:
    """A definition card for one entry, as returned by :func:`show`.

    Renders as HTML in Jupyter (``_repr_html_``) and as deterministic plain text
    everywhere else (``str``, ``repr`` and IPython's pretty printer).
    """

    entry: Entry

    def __str__(self):
        e = self.entry
        out = [e.title, "=" * len(e.title)]
        if e.aliases:
            out.append(_wrap("also: " + ", ".join(e.aliases)))
        out += ["", _wrap(e.summary), ""]
        out += ["Definition", _md_to_text(e.definition, indent="  "), ""]
        out += ["Explained simply", _md_to_text(e.explained_simply, indent="  "), ""]
        if e.related:
            out.append(_wrap("Related: " + ", ".join(e.related)))
        out.append(f"Full entry: glossary/terms/{e.slug}.md")
        return "\n".join(out)

    def __repr__(self):
        return str(self)

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))

    def _repr_html_(self):
        e = self.entry
        aliases = (f"<p style=\"margin:0;color:#666\"><small>also: "
                   f"{html.escape(', '.join(e.aliases))}</small></p>" if e.aliases else "")
        related = ", ".join(f"<em>{html.escape(t)}</em>" for t in e.related)
        return (f'<div class="minprune-card" style="{_CARD_STYLE}">'
                f"<h4 style=\"margin:0\">{html.escape(e.title)}</h4>{aliases}"
                f"<p><strong>{_inline_html(e.summary)}</strong></p>"
                f"<h5>Definition</h5>{_md_to_html(e.definition)}"
                f"<h5>Explained simply</h5>{_md_to_html(e.explained_simply)}"
                + (f"<p><small>Related: {related}</small></p>" if related else "")
                + f"<p><small>Full entry: <code>glossary/terms/{html.escape(e.slug)}.md"
                "</code></small></p></div>")


_CARD_STYLE = ("border:1px solid #ccc;border-radius:6px;padding:0.6em 1em;"
               "max-width:46em;line-height:1.4")


# ------------------------------------------------------------------ small helpers


def slugify(term):
    """Return the file stem for a term: lowercase, runs of non-alphanumerics -> ``-``.

    Parameters
    ----------
    term : str

    Returns
    -------
    str
        e.g. ``"N:M sparsity"`` -> ``"n-m-sparsity"``.
    """
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def normalize(term):
    """Return the key used for look-ups: lowercase, ``-``/``_`` as spaces, spaces collapsed.

    Parameters
    ----------
    term : str

    Returns
    -------
    str
    """
    if not isinstance(term, str):
        raise TypeError(f"term must be a str, got {type(term).__name__}")
    return " ".join(term.lower().replace("-", " ").replace("_", " ").split())


def anchor(heading):
    """Return the stable anchor of a notebook heading: its :func:`slugify` form.

    Every ``##``/``###`` heading of a course notebook is preceded, in its cell, by an explicit
    ``<a id="..."></a>`` with this id (see :func:`notebook_anchors`), so links such as the FAQ's
    land on their section in JupyterLab, VS Code, GitHub and an HTML export alike (each renderer
    makes its own heading ids, and they disagree).

    Parameters
    ----------
    heading : str
        Heading text without the leading ``#`` characters.

    Returns
    -------
    str
        e.g. ``"Can pruning be reversed?"`` -> ``"can-pruning-be-reversed"``.
    """
    return slugify(heading)


_ROLE = re.compile(r"\{term\}`([^`]+)`")


def term_roles(text):
    """Find the MyST ``{term}`` roles in a text.

    Both forms are understood: ``{term}`mask``` and ``{term}`the masks <mask>```.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of (str, str)
        ``(shown text, target term)`` for every role, in order.
    """
    found = []
    for m in _ROLE.finditer(text):
        content = m.group(1)
        explicit = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content, flags=re.S)
        if explicit:
            found.append((explicit.group(1), explicit.group(2).strip()))
        else:
            found.append((content, content.strip()))
    return found


_TOKEN = re.compile(r"[a-z0-9']+")


def tokens(text):
    """Split a text into lowercase word tokens (``[a-z0-9']+``).

    Typographic apostrophes are read as ``'`` first.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
    """
    return _TOKEN.findall(text.lower().replace("\u2019", "'").replace("\u2018", "'"))


@functools.lru_cache(maxsize=16)
def _ngrams(source, n):
    toks = tokens(source)
    return frozenset(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def shared_runs(text, source, n=8):
    """Return the runs of ``n`` consecutive words that ``text`` shares with ``source``.

    Used to check that our prose is written anew and copies no sentence from a
    source (tokens as in :func:`tokens`).

    Parameters
    ----------
    text : str
        The text to check.
    source : str
        The text it must not copy from.
    n : int, default=8
        Length of the word runs compared.

    Returns
    -------
    list of str
        Each shared run, words joined by spaces, in the order found in ``text``
        (without duplicates). Empty when nothing is shared.

    Examples
    --------
    >>> shared_runs("we cut the weights that matter least", "cut the weights", n=3)
    ['cut the weights']
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    grams = _ngrams(source, n)
    toks = tokens(text)
    hits = dict.fromkeys(" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)
                         if tuple(toks[i:i + n]) in grams)
    return list(hits)


def notebook_text(path):
    """Return the sources of all cells of a notebook, joined by blank lines.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.ipynb`` file.

    Returns
    -------
    str
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return "\n\n".join(_cell_source(c) for c in nb.get("cells", []))


def notebook_headings(path):
    """Return the Markdown headings of a notebook.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.ipynb`` file.

    Returns
    -------
    list of str
        Heading texts (without ``#``), in order; :func:`anchor` gives their anchors.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    heads = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        in_fence = False
        for line in _cell_source(cell).splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            m = None if in_fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                heads.append(m.group(1))
    return heads


_EXPLICIT_ANCHOR = re.compile(r'^<a id="([^"]+)"></a>\s*$')


def notebook_anchors(path):
    """Return the explicit anchors of a notebook and the heading each one marks.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.ipynb`` file.

    Returns
    -------
    dict of str to str
        ``{id: heading text}`` for every ``<a id="id"></a>`` line directly followed by a
        Markdown heading (a bare anchor maps to ``""``), in order.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    found = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        lines = _cell_source(cell).splitlines()
        for k, line in enumerate(lines):
            m = _EXPLICIT_ANCHOR.match(line)
            if m:
                nxt = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", lines[k + 1]) if k + 1 < len(lines) else None
                found[m.group(1)] = nxt.group(1) if nxt else ""
    return found


def _cell_source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


# ------------------------------------------------------------------ parsing


_REFERENCE = re.compile(
    r"^(?P<authors>.+?) \((?P<year>(?:1[5-9]|20)\d\d)[a-z]?\)\. "
    r"(?P<title>.+?[.?!]) \*(?P<venue>[^*]+)\*(?P<rest>.*)$")


def parse_reference(line):
    """Parse one bibliography line.

    Parameters
    ----------
    line : str
        ``Authors (Year). Title. *Venue*, details.``, optionally starting with ``- ``.

    Returns
    -------
    Reference

    Raises
    ------
    ValueError
        If authors, year, title or italic venue cannot be found.
    """
    text = line.strip()
    if text.startswith("- "):
        text = text[2:].strip()
    m = _REFERENCE.match(text)
    if not m:
        raise ValueError("a reference must read 'Authors (Year). Title. *Venue*, details.', "
                         f"got {text!r}")
    return Reference(authors=m["authors"], year=int(m["year"]), title=m["title"],
                     venue=m["venue"], text=text)


def _parse_references(body, where):
    refs = []
    for line in body.splitlines():
        if not line.strip():
            continue
        if not line.startswith("- "):
            raise ValueError(f"{where}: references must be a '- ' list, got line {line!r}")
        refs.append(parse_reference(line))
    return tuple(refs)


def _split_front_matter(text, where):
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ValueError(f"{where}: expected a metadata block starting with '---'")
    end = text.find("\n---\n", 3)
    if end < 0:
        raise ValueError(f"{where}: metadata block is not closed by '---'")
    meta = {}
    for line in text[4:end].splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(": ")
        if not sep or not re.fullmatch(r"[a-z_]+", key):
            raise ValueError(f"{where}: metadata lines must be 'key: value', got {line!r}")
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            inner = value[1:-1].strip()
            meta[key] = tuple(v.strip() for v in inner.split(",")) if inner else ()
        else:
            meta[key] = value
    return meta, text[end + 5:]


def _split_sections(body, level, where):
    """Split Markdown on headings of exactly ``level`` hashes, ignoring code fences."""
    head = None
    chunks = []  # list of [heading, lines]
    preamble = []
    in_fence = False
    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        m = None if in_fence else re.match(r"^(#+) (.*)$", line)
        if m and len(m.group(1)) == level:
            head = m.group(2).strip()
            chunks.append([head, []])
        elif head is None:
            preamble.append(line)
        else:
            chunks[-1][1].append(line)
    return "\n".join(preamble).strip(), [(h, "\n".join(lines).strip()) for h, lines in chunks]


def parse_entry(text, path=None):
    """Parse the Markdown of one entry.

    Parameters
    ----------
    text : str
        File contents (see the module docstring for the format).
    path : pathlib.Path, optional
        Where the text came from; used in error messages and kept on the entry.

    Returns
    -------
    Entry

    Raises
    ------
    ValueError
        If the metadata, the title or the sections do not follow the format.
    """
    where = str(path) if path is not None else "<entry>"
    meta, body = _split_front_matter(text, where)
    missing = {"term", "aliases", "summary"} - set(meta)
    if missing:
        raise ValueError(f"{where}: metadata lacks {sorted(missing)}")
    aliases = meta["aliases"]
    if isinstance(aliases, str):
        aliases = (aliases,) if aliases else ()
    preamble, parts = _split_sections(body, 1, where)
    if preamble or len(parts) != 1:
        raise ValueError(f"{where}: expected exactly one '# Title' heading after the metadata")
    title, content = parts[0]
    term = meta["term"]
    expected_title = term[:1].upper() + term[1:]
    if title != expected_title:
        raise ValueError(f"{where}: title must be {expected_title!r}, got {title!r}")
    intro, sections = _split_sections(content, 2, where)
    got = [h for h, _ in sections]
    want = [h for _, h in SECTIONS]
    if intro or got != want:
        raise ValueError(f"{where}: sections must be exactly {want}, in order; got {got}"
                         + (" (text before the first section)" if intro else ""))
    values = {attr: body for (attr, _), (_, body) in zip(SECTIONS, sections)}
    values["references"] = _parse_references(values["references"], where)
    return Entry(term=term, aliases=tuple(aliases), summary=meta["summary"], path=path,
                 **values)


def _meta_value(value):
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return value


def render_entry(entry):
    """Render an entry as canonical MyST Markdown; :func:`parse_entry` reads it back.

    Parameters
    ----------
    entry : Entry

    Returns
    -------
    str
    """
    out = ["---", f"term: {entry.term}", f"aliases: {_meta_value(entry.aliases)}",
           f"summary: {entry.summary}", "---", "", f"# {entry.title}", ""]
    for attr, heading in SECTIONS:
        out += [f"## {heading}", "", entry.section(heading), ""]
    return "\n".join(out).rstrip("\n") + "\n"


_LINKS_LINE = "**Run it:** "
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def parse_faq(text, path=None):
    """Parse ``glossary/faq.md``.

    Each ``##`` section is a question, except the final ``## References``. A
    question's last paragraph starts with ``**Run it:**`` and holds two links: the
    notebook section that demonstrates the answer, then the compact experiment.

    Parameters
    ----------
    text : str
    path : pathlib.Path, optional

    Returns
    -------
    FAQ
    """
    where = str(path) if path is not None else "<faq>"
    meta, body = _split_front_matter(text, where)
    preamble, parts = _split_sections(body, 1, where)
    if preamble or len(parts) != 1:
        raise ValueError(f"{where}: expected exactly one '# Title' heading")
    title, content = parts[0]
    if meta.get("title") != title:
        raise ValueError(f"{where}: metadata title {meta.get('title')!r} differs from {title!r}")
    intro, sections = _split_sections(content, 2, where)
    if not sections or sections[-1][0] != "References":
        raise ValueError(f"{where}: the last section must be '## References'")
    items = []
    for number, (question, answer) in enumerate(sections[:-1], start=1):
        paragraphs = answer.split("\n\n")
        last = paragraphs[-1]
        links = _MD_LINK.findall(last)
        if not last.startswith(_LINKS_LINE) or len(links) != 2:
            raise ValueError(f"{where}: question {question!r} must end with a paragraph "
                             f"starting {_LINKS_LINE!r} that holds two links")
        items.append(FAQItem(number=number, question=question,
                             answer="\n\n".join(paragraphs[:-1]).strip(),
                             experiment=Link(*links[0]), compact=Link(*links[1])))
    return FAQ(title=title, intro=intro, items=tuple(items),
               references=_parse_references(sections[-1][1], where), path=path)


def render_faq(faq_):
    """Render a :class:`FAQ` as canonical Markdown; :func:`parse_faq` reads it back.

    Parameters
    ----------
    faq_ : FAQ

    Returns
    -------
    str
    """
    out = ["---", f"title: {faq_.title}", "---", "", f"# {faq_.title}", ""]
    if faq_.intro:
        out += [faq_.intro, ""]
    for item in faq_.items:
        e, c = item.experiment, item.compact
        out += [f"## {item.question}", "", item.answer, "",
                f"{_LINKS_LINE}[{e.text}]({e.href}) · **Compact experiment:** "
                f"[{c.text}]({c.href})", ""]
    out += ["## References", "", "\n".join(f"- {r.text}" for r in faq_.references), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def render_index(all_entries=None):
    """Render ``glossary/index.md``: a MyST ``{glossary}`` of every term and alias.

    Parameters
    ----------
    all_entries : iterable of Entry, optional
        Defaults to :func:`entries`.

    Returns
    -------
    str
    """
    if all_entries is None:
        all_entries = entries()
    all_entries = sorted(all_entries, key=lambda e: e.term.lower())
    out = ["# Glossary", "",
           "Every term has a full entry (definition, plain explanation, origin, usage, "
           "FAQ and references) under `terms/`. In a notebook, "
           "`minprune.glossary.show(\"term\")` shows the same entry as a card. "
           "See also the [pruning FAQ](faq.md) and the [history of pruning](history.md).",
           "",
           "<!-- Generated by minprune.glossary.render_index(); edit the entries, not this "
           "file. -->",
           "", "```{glossary}"]
    for e in all_entries:
        out += list(e.names)
        out.append(f"  {e.summary} [Full entry](terms/{e.slug}.md).")
        out.append("")
    out[-1] = "```"
    out += ["", "```{toctree}", ":hidden:", ":glob:", "", "faq", "history", "terms/*",
            "```", ""]
    return "\n".join(out)


# ------------------------------------------------------------------ loading


def _glossary_dir():
    """Return the ``glossary/`` folder that holds the Markdown entries.

    Looks next to the package first (a source checkout or an editable install),
    then in the copy a regular install ships as ``minprune/_glossary``
    (pyproject.toml maps the repository's ``glossary/`` there).

    Raises
    ------
    GlossaryNotFoundError
        If neither folder holds the entries.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "glossary", here / "_glossary"):
        if (candidate / "terms").is_dir():
            return candidate
    raise GlossaryNotFoundError(
        f"minprune's glossary was not found in {here.parent / 'glossary'} or "
        f"{here / '_glossary'}; reinstall minprune (pip install .) or use a source checkout")


@functools.lru_cache(maxsize=1)
def _load():
    root = _glossary_dir()
    loaded = tuple(parse_entry(p.read_text(encoding="utf-8"), path=p)
                   for p in sorted((root / "terms").glob("*.md")))
    index = {}
    for e in loaded:
        if e.slug != e.path.stem:
            raise ValueError(f"{e.path}: file name must be {e.slug}.md for term {e.term!r}")
        for name in e.names + (e.slug,):
            key = normalize(name)
            other = index.get(key)
            if other is not None and other is not e:
                raise ValueError(f"{name!r} names both {other.term!r} and {e.term!r}")
            index[key] = e
    return loaded, index


def entries():
    """Return every glossary entry, sorted by term.

    Returns
    -------
    tuple of Entry
    """
    return tuple(sorted(_load()[0], key=lambda e: e.term.lower()))


def terms():
    """Return every canonical term, sorted case-insensitively.

    Returns
    -------
    tuple of str
    """
    return tuple(e.term for e in entries())


def lookup(term):
    """Return the entry for a term or alias (case-insensitive; ``-``/``_`` count as spaces).

    Parameters
    ----------
    term : str
        e.g. ``"Pruning"``, ``"saliency"``, ``"2:4 sparsity"``, ``"LTH"``.

    Returns
    -------
    Entry

    Raises
    ------
    UnknownTermError
        If no term or alias matches; the message suggests close matches.
    """
    _, index = _load()
    key = normalize(term)
    if key in index:
        return index[key]
    names = {}
    for e in _load()[0]:
        for name in e.names:
            names.setdefault(normalize(name), name)
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    if not close:  # a fragment such as "lottery" still deserves a hint
        close = [k for k in names if key and key in k][:3]
    raise UnknownTermError(term, [names[k] for k in close])


#: Same as :func:`lookup`.
entry = lookup


def show(term):
    """Return a definition card for a term, for display in Jupyter.

    Parameters
    ----------
    term : str
        A term or alias, as accepted by :func:`lookup`.

    Returns
    -------
    Card
        Renders as HTML in a notebook and as plain text with ``print``.

    Raises
    ------
    UnknownTermError
        If the term is unknown.
    """
    return Card(lookup(term))


@functools.lru_cache(maxsize=1)
def _load_faq():
    path = _glossary_dir() / "faq.md"
    return parse_faq(path.read_text(encoding="utf-8"), path=path)


def faq(question=None):
    """Return the pruning FAQ, or one answer.

    Parameters
    ----------
    question : int or str, optional
        A question number (1-based) or text (case-insensitive; a unique fragment is
        enough). Without it, the whole FAQ is returned.

    Returns
    -------
    FAQ or FAQItem
        Both render as HTML in Jupyter and as plain text with ``print``.

    Raises
    ------
    UnknownTermError
        If ``question`` matches no question (or several).
    """
    the_faq = _load_faq()
    if question is None:
        return the_faq
    if isinstance(question, int) and not isinstance(question, bool):
        if 1 <= question <= len(the_faq):
            return the_faq.items[question - 1]
        raise UnknownTermError(question, (), what="FAQ question",
                               listing=f"questions are numbered 1 to {len(the_faq)}")
    key = normalize(str(question)).rstrip("?")
    exact = [i for i in the_faq if normalize(i.question).rstrip("?") == key]
    partial = [i for i in the_faq if key and key in normalize(i.question)]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    pool = [i.question for i in (found or the_faq)]
    close = pool if found else difflib.get_close_matches(str(question), pool, n=3, cutoff=0.4)
    raise UnknownTermError(question, close, what="FAQ question",
                           listing="minprune.glossary.faq() lists the questions")


# ------------------------------------------------------------------ rendering


def _wrap(text, indent=""):
    return textwrap.fill(" ".join(text.split()), width=_TEXT_WIDTH, initial_indent=indent,
                         subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False)


def _inline_text(text):
    text = _ROLE.sub(lambda m: term_roles(m.group(0))[0][0], text)
    parts = re.split(r"(`[^`]+`)", text)  # odd parts are code spans, left untouched
    for i in range(0, len(parts), 2):
        part = _MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", parts[i])
        part = re.sub(r"\*\*(.+?)\*\*", r"\1", part)
        parts[i] = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", part)
    return "".join(parts)


def _blocks(markdown):
    return [b for b in re.split(r"\n\s*\n", markdown.strip()) if b.strip()]


def _md_to_text(markdown, indent=""):
    out = []
    for block in _blocks(markdown):
        lines = block.splitlines()
        if all(re.match(r"^\s*(- |\d+\. )", ln) or ln.startswith("  ") for ln in lines):
            items = re.split(r"\n(?=\s*(?:- |\d+\. ))", block)
            lines = []
            for item in items:
                m = re.match(r"^\s*(- |\d+\. )(.*)$", item, flags=re.S)
                bullet = m.group(1)
                lines.append(textwrap.fill(" ".join(_inline_text(m.group(2)).split()),
                                           width=_TEXT_WIDTH, initial_indent=indent + bullet,
                                           subsequent_indent=indent + " " * len(bullet),
                                           break_on_hyphens=False, break_long_words=False))
            out.append("\n".join(lines))
        else:
            out.append(_wrap(_inline_text(block), indent))
    return "\n\n".join(out)


def _inline_html(text):
    code = []

    def stash(m):
        code.append(f"<code>{html.escape(m.group(1))}</code>")
        return f"\x00{len(code) - 1}\x00"

    text = _ROLE.sub(lambda m: "\x01" + term_roles(m.group(0))[0][0] + "\x02", text)
    text = re.sub(r"`([^`]+)`", stash, text)
    text = html.escape(text, quote=False)
    text = text.replace("\x01", '<em class="minprune-term">').replace("\x02", "</em>")
    text = _MD_LINK.sub(lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>',
                        text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: code[int(m.group(1))], text)


_BULLET = re.compile(r"^\s*(- |\d+\. )")


def _md_to_html(markdown):
    out = []
    for block in _blocks(markdown):
        lines = block.splitlines()
        if all(re.match(r"^\s*(- |\d+\. )", ln) or ln.startswith("  ") for ln in lines):
            items = re.split(r"\n(?=\s*(?:- |\d+\. ))", block)
            tag = "ul" if block.lstrip().startswith("- ") else "ol"
            body = "".join(f"<li>{_inline_html(_BULLET.sub('', it))}</li>" for it in items)
            out.append(f"<{tag}>{body}</{tag}>")
        else:
            out.append(f"<p>{_inline_html(' '.join(lines))}</p>")
    return "".join(out)


def _link_html(link):
    return f'<a href="{html.escape(link.href)}">{html.escape(link.text)}</a>'
