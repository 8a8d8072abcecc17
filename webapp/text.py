"""Text from a file or a user, made safe to show in Streamlit's Markdown.

Streamlit renders ``st.markdown``, ``st.caption``, ``st.error`` and the like, and widget
labels, as Markdown: a header ``![x](https://…)`` made the browser fetch a URL and a file name
``[Logga in här](https://…)`` became a link. :func:`md` first cleans the text like the
terminal does (:func:`lagesbild.fmt.clean`: no control characters, no direction overrides),
then escapes every ASCII punctuation character with a backslash, which CommonMark allows for
all of them: no emphasis, link, image, HTML tag, entity, table, heading, LaTeX (``$``),
Streamlit directive (``:red[…]``, ``:material/…:``) or autolinked URL survives.
"""

from __future__ import annotations

import re

from lagesbild import fmt

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: object) -> str:
    """*text* as literal Markdown: shown exactly as written, never interpreted."""
    escaped = _PUNCTUATION.sub(r"\\\1", fmt.clean(text))
    return escaped.replace("\n", "  \n")  # a line break stays a line break
