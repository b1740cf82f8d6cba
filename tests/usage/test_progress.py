from __future__ import annotations

import io

from iamlint.usage.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_and_ends_the_line():
    stream = _Terminal()
    progress = Progress(2, "cloudtrail", stream)
    progress.advance(700)
    progress.advance(300)
    progress.close()
    text = stream.getvalue()
    assert "2/2 files, 1,000 records" in text and "[" + "#" * 30 + "]" in text
    assert text.endswith("\n")


def test_progress_is_silent_in_logs_and_pipes():
    stream = io.StringIO()
    progress = Progress(1, "cloudtrail", stream)
    progress.advance(10)
    progress.close()
    assert stream.getvalue() == ""
