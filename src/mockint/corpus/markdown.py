"""Turn the source page's web-exported Markdown into clean Markdown.

What it does: LaTeX delimiters ``\\(..\\)`` / ``\\[..\\]`` become ``$..$`` / ``$$..$$``
with the exporter's doubled escapes undone, escaped brackets and underscores in prose
are fixed, ``*   `` bullets become ``- ``, images become a short note, whitespace is
tidied. Fenced code blocks are kept byte for byte.

What it does not do: render Markdown, or judge whether the text is right (that is the
curation files' job).
"""

from __future__ import annotations

import re

_DISPLAY = re.compile(r"\\\\\\\[(.+?)\\\\\\\]", re.S)  # \\\[ ... \\\]
_INLINE = re.compile(r"\\\\\((.+?)\\\\\)", re.S)  # \\( ... \\)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_FENCE = re.compile(r"^```")
_BULLET = re.compile(r"^(\s*)\*\s{1,4}(?=\S)")
_NUMBERED = re.compile(r"^(\s*)(\d+)\.\s{2,}(?=\S)")
_PROSE_ESCAPES = re.compile(r"\\([\[\]_*#])")
_MATH_PUNCT = set("_*[]{}()#+-.!|<>&^%$,;:='\"/~`")


def unescape_math(body: str) -> str:
    r"""Undo the exporter's escaping inside a formula.

    >>> unescape_math(r"\\theta\_{j} \\\\ x")
    '\\theta_{j} \\\\ x'
    """
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "\\":
                out.append("\\")
                i += 2
                continue
            if nxt in _MATH_PUNCT and nxt not in "{}":
                out.append(nxt)
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _image_note(match: re.Match[str]) -> str:
    alt = match.group(1).strip()
    name = match.group(2).rsplit("/", 1)[-1]
    label = alt or name or "image"
    return f"*(figure omitted: {label})*"


def _clean_prose(line: str) -> str:
    # Formulas the page already wrote with $..$ still carry doubled escapes (do these
    # first, so the $..$ made below are not unescaped twice).
    line = re.sub(r"\$([^$]+)\$", lambda m: "$" + unescape_math(m.group(1)) + "$", line)
    line = _DISPLAY.sub(lambda m: "$$" + unescape_math(m.group(1)).strip() + "$$", line)
    line = _INLINE.sub(lambda m: "$" + unescape_math(m.group(1)).strip() + "$", line)
    line = _IMAGE.sub(_image_note, line)
    line = _BULLET.sub(lambda m: m.group(1) + "- ", line)
    line = _NUMBERED.sub(lambda m: f"{m.group(1)}{m.group(2)}. ", line)
    parts = re.split(r"(\$\$.+?\$\$|\$[^$]+\$|`[^`]*`)", line)
    for k in range(0, len(parts), 2):
        parts[k] = _PROSE_ESCAPES.sub(r"\1", parts[k])
    return "".join(parts).rstrip()


def clean_markdown(text: str) -> str:
    """Clean one answer body; code fences are passed through unchanged."""
    # Display formulas can span lines: join them before the line pass.
    text = _DISPLAY.sub(lambda m: "\\\\\\[" + " ".join(m.group(1).split()) + "\\\\\\]", text)
    lines_out: list[str] = []
    in_code = False
    for raw in text.splitlines():
        if _FENCE.match(raw.strip()):
            in_code = not in_code
            lines_out.append(raw.strip())
            continue
        lines_out.append(raw.rstrip() if in_code else _clean_prose(raw))
    cleaned = "\n".join(lines_out)
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    return cleaned.strip() + "\n"


def plain_text(markdown: str) -> str:
    """Markdown to plain sentences for embedding: code, formulas and links flattened.

    >>> plain_text("- **Bold** [link](http://x) and `code`")
    'Bold link and code'
    """
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`#>]+", "", text)
    text = re.sub(r"^\s*(-|\d+\.)\s+", "", text, flags=re.M)
    return " ".join(text.split())
