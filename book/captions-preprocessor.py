#!/usr/bin/env python3
"""mdBook preprocessor: numbers and captions what a chapter shows, and links chapter mentions.

- A fenced code block whose content is an `{{#include ...}}` becomes "Listing N.k", captioned
  with the file it comes from (and its anchor), so a reader can find the code in the repository.
- An image alone on its line becomes "Figure N.k" in a <figure>, captioned with its alt text and
  the program that drew it.
- A generated table (`{{#include generated/...md}}` alone on its line) becomes "Table N.k",
  captioned with the program that wrote it.

N is the chapter's number, read from the page's file name (07-vision.md); pages without one
get no numbers. Runs before `math` and `links`, so it still sees the include directives.

With the argument `after-links` it is a second preprocessor, run once the includes are
expanded:
- a code block whose lines all start with the same indentation (a method included from
  inside its `impl`) loses it, so the code starts at the left edge of the box;
- "chapter 7", "chapters 7 and 8", "Chapter 12's" in prose, generated tables included, link
  to those chapters' pages (chapters still to come link to the roadmap). Code, headings,
  links, formulas and HTML are left alone.
"""
import html
import json
import os
import re
import sys

BOOK = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(BOOK, "src")
ROOT = os.path.dirname(BOOK)

INCLUDE = re.compile(r"\{\{#(?:include|rustdoc_include)\s+([^}:\s]+)(?::([A-Za-z_][\w-]*))?[^}]*\}\}")
IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)$")
FENCE = re.compile(r"^(```+|~~~+)")
MENTION = re.compile(
    r"\b([Cc]hapters?)(\s+)(\d{1,2})((?:(?:,\s*|\s+and\s+|\s+or\s+|\s+to\s+|\s*[–-]\s*)\d{1,2}\b)*)"
)
# Spans of a prose line that must not change: inline code, images and links, HTML tags, math.
PROTECTED = re.compile(r"(`+).*?\1|!?\[[^\]]*\]\([^)]*\)|<[^>]+>|\$[^$]+\$")

_writers = {}


def repo_path(path):
    return os.path.relpath(os.path.normpath(os.path.join(SRC, path)), ROOT)


def writer(generated):
    """The chapter source file that names a generated file, or the chapter's demo."""
    if generated in _writers:
        return _writers[generated]
    parts = generated.split("/")  # generated/07-vision/results.md
    crate = os.path.join(ROOT, "chapters", parts[1])
    name = parts[-1]
    found = None
    src = os.path.join(crate, "src")
    if os.path.isdir(src):
        for d, _, files in sorted(os.walk(src)):
            for f in sorted(files):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    if '"%s"' % name in fh.read():
                        found = os.path.relpath(os.path.join(d, f), ROOT)
                        break
            if found:
                break
    if found is None and os.path.isfile(os.path.join(src, "main.rs")):
        found = os.path.relpath(os.path.join(src, "main.rs"), ROOT)
    _writers[generated] = found
    return found


def code(text):
    return "<code>%s</code>" % html.escape(text)


def source_note(path):
    """Where a shown file comes from: the program that wrote it, or the file itself."""
    if path.startswith("generated/"):
        program = writer(path)
        if program:
            return "written by %s to %s" % (code(program), code("book/src/" + path))
        return "from %s" % code("book/src/" + path)
    return "from %s" % code(repo_path(path))


def link_mentions(line, pages, own):
    def link(number):
        page = pages.get(int(number), "roadmap.md")
        return "[%s](%s)" % (number, page) if page != own else number

    def replace(m):
        word, space, first, rest = m.groups()
        if int(first) not in pages and int(first) < 18:
            return m.group(0)
        head = "[%s%s%s](%s)" % (word, space, first, pages.get(int(first), "roadmap.md"))
        if pages.get(int(first)) == own:
            head = m.group(1) + space + first
        return head + re.sub(r"\d{1,2}", lambda n: link(n.group(0)), rest)

    out, last = [], 0
    for p in PROTECTED.finditer(line):
        out.append(MENTION.sub(replace, line[last : p.start()]))
        out.append(p.group(0))
        last = p.end()
    out.append(MENTION.sub(replace, line[last:]))
    return "".join(out)


def convert(text, number):
    counts = {"Listing": 0, "Figure": 0, "Table": 0}

    def caption(kind, body):
        counts[kind] += 1
        return '<p class="caption"><span class="caption-label">%s %d.%d.</span> %s</p>' % (
            kind,
            number,
            counts[kind],
            body,
        )

    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        m = FENCE.match(stripped)
        if m:
            fence = m.group(1)
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence):
                j += 1
            block = lines[i : j + 1]
            out.extend(block)
            body = [l.strip() for l in block[1:-1] if l.strip()]
            inc = INCLUDE.fullmatch(body[0]) if len(body) == 1 else None
            if number is not None and inc:
                note = source_note(inc.group(1))
                if inc.group(2):
                    note += " (%s)" % code("ANCHOR: " + inc.group(2))
                out.append("")
                out.append(caption("Listing", note[0].upper() + note[1:] + "."))
            i = j + 1
            continue
        img = IMAGE.match(stripped)
        if number is not None and img:
            alt, path = img.groups()
            text_alt = alt.rstrip(".")
            out.append("<figure>")
            out.append("")
            out.append(line)
            out.append("")
            out.append(
                caption("Figure", "%s. %s." % (html.escape(text_alt), source_note(path).capitalize()))
                .replace("<p ", "<figcaption ", 1)
                .replace("</p>", "</figcaption>")
            )
            out.append("</figure>")
            i += 1
            continue
        inc = INCLUDE.fullmatch(stripped)
        if number is not None and inc and inc.group(1).startswith("generated/") and inc.group(1).endswith(".md"):
            with open(os.path.join(SRC, inc.group(1)), encoding="utf-8") as f:
                is_table = f.read().lstrip().startswith("|")
            out.append(line)
            if is_table:
                out.append("")
                out.append(caption("Table", source_note(inc.group(1)).capitalize() + "."))
            i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def after_links(text, pages, own):
    """Dedents code blocks and links chapter mentions in prose, includes expanded."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i].strip())
        line = lines[i]
        i += 1
        if not m:
            stripped = line.strip()
            if stripped.startswith("#"):
                out.append(line)
                continue
            # "chapter" at the end of a line, its number on the next: keep them together.
            tail = re.search(r"\b([Cc]hapters?)$", line)
            if tail and i < len(lines) and re.match(r"\s*\d", lines[i]) and not FENCE.match(lines[i].strip()):
                line = line[: tail.start()].rstrip()
                lines[i] = tail.group(1) + " " + lines[i].lstrip()
            out.append(link_mentions(line, pages, own))
            continue
        out.append(line)
        start = i
        while i < len(lines) and not lines[i].strip().startswith(m.group(1)):
            i += 1
        body = lines[start:i]
        margin = min((len(l) - len(l.lstrip(" ")) for l in body if l.strip()), default=0)
        out.extend(l[margin:] for l in body)
        if i < len(lines):
            out.append(lines[i])  # the closing fence
            i += 1
    return "\n".join(out)


def chapter_pages(items, pages):
    for item in items:
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if chapter:
            path = chapter.get("path") or ""
            m = re.match(r"(\d\d)-", os.path.basename(path))
            if m and int(m.group(1)) > 0:
                pages[int(m.group(1))] = path
            chapter_pages(chapter.get("sub_items", []), pages)
    return pages


def walk(items, change):
    for item in items:
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if chapter:
            chapter["content"] = change(chapter["content"], chapter.get("path") or "")
            walk(chapter.get("sub_items", []), change)


def main():
    args = sys.argv[1:]
    mode = args.pop(0) if args[:1] == ["after-links"] else "captions"
    if args[:1] == ["supports"]:
        sys.exit(0)
    _context, book = json.load(sys.stdin)
    items = book.get("items", book.get("sections", []))
    pages = chapter_pages(items, {})
    if mode == "after-links":
        walk(items, lambda text, path: after_links(text, pages, path))
    else:

        def captions(text, path):
            m = re.match(r"(\d\d)-", os.path.basename(path))
            number = int(m.group(1)) if m and int(m.group(1)) > 0 else None
            return convert(text, number)

        walk(items, captions)
    json.dump(book, sys.stdout)


if __name__ == "__main__":
    main()
