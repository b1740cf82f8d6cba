"""One parse per file: python-hcl2's grammar, with its tables cached in the user's cache folder.

python-hcl2 caches its LALR tables inside site-packages; on a read-only install every process
would pay ~3 s to rebuild them, so we build the same parser ourselves with the cache elsewhere.
"""

from __future__ import annotations

import functools
import gc
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hcl2
import lark
from hcl2.postlexer import PostLexer

from iamlint.cache import open_cache
from iamlint.terraform.errors import InputError


@functools.cache
def _parser() -> lark.Lark:
    # Lark's own cache file is a pickle it loads unchecked: the tables go through the user
    # cache instead, which unpickles only what this user wrote (`iamlint.cache`).
    cache = open_cache()
    name = (
        f"grammar/hcl2-{_hcl2_version()}-lark-{lark.__version__}"
        f"-py{sys.version_info[0]}.{sys.version_info[1]}-nopos.pickle"
    )
    if cache is not None:
        saved = cache.load(name)
        if saved is not None:
            try:
                return lark.Lark.load(io.BytesIO(saved))
            except Exception:
                cache.drop(name)  # tables of another shape: built again below
    grammar_dir = Path(hcl2.__file__).parent
    parser = lark.Lark.open(
        "hcl2.lark",
        rel_to=str(grammar_dir / "parser.py"),
        parser="lalr",
        propagate_positions=False,  # spans come from tokens: see convert._span
        postlex=PostLexer(),
    )
    if cache is not None:
        tables = io.BytesIO()
        parser.save(tables)
        cache.store(name, tables.getvalue())
    return parser


def _hcl2_version() -> str:
    from importlib.metadata import version

    return version("python-hcl2")


@contextmanager
def _no_gc() -> Iterator[None]:
    # Lark allocates millions of small objects; the cyclic collector triples parse time on
    # large files while finding nothing to free.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_hcl(text: str, file: str) -> lark.Tree:
    """Parse HCL text; syntax errors become an `InputError` with line, column and expectation."""
    try:
        with _no_gc():
            # The grammar wants a newline after the last item (a heredoc's closing marker needs
            # one); appending it never moves an offset inside the text.
            return _parser().parse(text + "\n")
    except lark.exceptions.UnexpectedInput as err:
        raise InputError(file, err.line, err.column, _describe(err)) from None
    except RecursionError:
        raise InputError(file, 1, 1, "expression nested too deeply to read") from None


def _describe(err: lark.exceptions.UnexpectedInput) -> str:
    if isinstance(err, lark.exceptions.UnexpectedCharacters):
        char = err.char if err.char not in "\n\r" else "end of line"
        return f"unexpected character {char!r}: this is not valid HCL"
    if isinstance(err, lark.exceptions.UnexpectedEOF):
        return "file ends in the middle of a block or expression (a missing '}' or ']'?)"
    if isinstance(err, lark.exceptions.UnexpectedToken):
        token = err.token
        if token.type == "$END":
            shown = "end of file"
        elif not str(token).strip():
            shown = "end of line"
        else:
            shown = repr(str(token).strip().splitlines()[0][:40])
        expected = sorted(_friendly(name) for name in (err.expected or ()))[:6]
        hint = f"; expected one of: {', '.join(expected)}" if expected else ""
        return f"unexpected {shown}{hint}"
    return str(err).splitlines()[0]


_FRIENDLY_TERMINALS = {
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "RSQB": "']'",
    "LSQB": "'['",
    "RPAR": "')'",
    "LPAR": "'('",
    "EQ": "'='",
    "COMMA": "','",
    "COLON": "':'",
    "NAME": "a name",
    "DBLQUOTE": "'\"'",
    "NL_OR_COMMENT": "a new line",
    "STRING_CHARS": "text",
    "INT_LITERAL": "a number",
}


def _friendly(terminal: str) -> str:
    return _FRIENDLY_TERMINALS.get(terminal, terminal.lower().replace("_", " "))
