"""Text from a file or a user, made safe to show in Streamlit's Markdown.

Streamlit renders ``st.markdown``, ``st.caption``, ``st.error`` and the like, and widget
labels, as Markdown: a header ``![x](https://…)`` made the browser fetch a URL and a file name
``[Logga in här](https://…)`` became a link. :func:`md` first cleans the text like the
terminal does (:func:`lagesbild.fmt.clean`: no control characters, no direction overrides),
then escapes every ASCII punctuation character with a backslash, which CommonMark allows for
all of them: no emphasis, link, image, HTML tag, entity, table, heading, LaTeX (``$``) or
Streamlit directive (``:red[…]``, ``:material/…:``) survives. GitHub-style autolinks
(``http://…``, ``www.…``, ``namn@example.se``) are found after escapes are resolved, so a
word joiner (U+2060, invisible) goes after ``://``'s colon, after ``www`` and after ``@``: the
text looks the same and is no link (a test in a real browser checks this).
"""

from __future__ import annotations

import re

from lagesbild import fmt

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)", re.IGNORECASE)


def md(text: object) -> str:
    """*text* as literal Markdown: shown exactly as written, never interpreted."""
    unlinked = _AUTOLINK.sub(_JOINER, fmt.clean(text))
    escaped = _PUNCTUATION.sub(r"\\\1", unlinked)
    return escaped.replace("\n", "  \n")  # a line break stays a line break
