#!/usr/bin/env python3
"""mdBook preprocessor: turns $...$ (inline) and $$...$$ (display) into elements that
theme/render-math.js renders with KaTeX in the browser, from files served with the book.

Markdown would otherwise read TeX's backslashes, underscores and stars as its own syntax, so
every character of a formula other than letters, digits and spaces is written as an HTML
character reference: the markdown parser leaves those alone and the browser decodes them.
Fenced code blocks and inline code are left untouched; `\\$` is a literal dollar sign.

mdBook calls `python3 math-preprocessor.py supports <renderer>` first, then sends
[context, book] as JSON on stdin and reads the book back on stdout.
"""
import json
import re
import sys


def encode(tex):
    return "".join(c if c.isalnum() or c == " " else "&#%d;" % ord(c) for c in tex.strip())


INLINE = re.compile(r"(`+)(.*?)\1|\\\$|\$(?!\$)((?:[^$\\]|\\.)+?)\$")


def inline(line):
    def repl(m):
        if m.group(1):  # inline code: keep as it is
            return m.group(0)
        if m.group(0) == "\\$":
            return "&#36;"
        return '<span class="math-inline">%s</span>' % encode(m.group(3))

    return INLINE.sub(repl, line)


def convert(text):
    out = []
    lines = text.split("\n")
    fence = None
    display = None  # lines of a $$ block being collected
    for line in lines:
        stripped = line.strip()
        if display is not None:
            if stripped.endswith("$$"):
                display.append(stripped[:-2])
                out.append("")
                out.append('<div class="math-display">%s</div>' % encode(" ".join(display)))
                out.append("")
                display = None
            else:
                display.append(stripped)
            continue
        if fence is not None:
            out.append(line)
            if stripped.startswith(fence):
                fence = None
            continue
        m = re.match(r"(```+|~~~+)", stripped)
        if m:
            fence = m.group(1)
            out.append(line)
            continue
        if stripped.startswith("$$"):
            body = stripped[2:]
            if body.endswith("$$") and len(body) >= 2:
                out.append("")
                out.append('<div class="math-display">%s</div>' % encode(body[:-2]))
                out.append("")
            else:
                display = [body]
            continue
        out.append(inline(line))
    if display is not None:
        raise SystemExit("math-preprocessor: a $$ block is not closed")
    return "\n".join(out)


def walk(items):
    for item in items:
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if chapter:
            chapter["content"] = convert(chapter["content"])
            walk(chapter.get("sub_items", []))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "supports":
        sys.exit(0)
    _context, book = json.load(sys.stdin)
    walk(book.get("items", book.get("sections", [])))
    json.dump(book, sys.stdout)


if __name__ == "__main__":
    main()
