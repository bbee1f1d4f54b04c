#!/usr/bin/env python3
"""Checks the built book (book/build): used by .ci/check-book.

0. Every {{#include file:anchor}} in the sources names a file that exists and an anchor in it.
1. Every local link and image in every page points at a file that exists, and every
   #fragment at an id that exists in the target page.
2. No page still shows an mdBook include ({{#...}}) or a raw formula delimiter, and every
   "chapter N" in prose (outside code and headings) is a link.
3. Every chapter page, opened in headless Chromium with all network names unresolvable (so
   nothing can come from a CDN), rendered every formula with KaTeX and loaded every image;
   theme/render-math.js records that on <html data-book-check=...>.
4. At a desktop width (1280 px) and a phone width (390 px), no code block or table of any
   page is wider than its box and no page is wider than the window: nothing hides off the
   right edge.
"""
import html
import json
import os
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from urllib.parse import unquote, urlparse

SKIP = {"404.html", "print.html", "toc.html"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()
        self.refs = []  # (attribute, value)
        self.in_main = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append((tag, key, a[key]))


def parse(path):
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    return p


def main_text(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<main>(.*)</main>", text, re.S)
    return m.group(1) if m else ""


def check_links(root, pages):
    problems = []
    parsed = {}
    for page in pages:
        parsed[page] = parse(os.path.join(root, page))
    for page, p in parsed.items():
        for tag, key, ref in p.refs:
            url = urlparse(ref)
            if url.scheme in ("http", "https"):
                if tag in ("script", "link", "img"):
                    problems.append("%s: loads %s from the network" % (page, ref))
                continue
            if url.scheme or ref.startswith("//"):
                continue
            target = page if not url.path else os.path.normpath(os.path.join(os.path.dirname(page), unquote(url.path)))
            full = os.path.join(root, target)
            if os.path.isdir(full):
                target = os.path.join(target, "index.html")
                full = os.path.join(root, target)
            if not os.path.exists(full):
                problems.append("%s: broken %s %s" % (page, key, ref))
                continue
            if url.fragment and target.endswith(".html"):
                if target not in parsed:
                    parsed[target] = parse(full)
                if unquote(url.fragment) not in parsed[target].ids:
                    problems.append("%s: %s points at a missing anchor" % (page, ref))
    return problems


def check_text(root, pages):
    problems = []
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", main_text(os.path.join(root, page))))
        if "{{#" in text:
            problems.append("%s: an mdBook directive was not expanded: %s" % (page, text[text.index("{{#"):][:60]))
        # Outside code, a $ left over means a formula the preprocessor did not see.
        prose = re.sub(r"<(pre|code)\b.*?</\1>", "", main_text(os.path.join(root, page)), flags=re.S)
        prose = html.unescape(re.sub(r"<[^>]+>", "", prose))
        # Every "chapter N" a reader sees is a link (captions-preprocessor.py makes them).
        plain = re.sub(r"<(a|h[1-6])\b.*?</\1>", "", main_text(os.path.join(root, page)), flags=re.S)
        plain = re.sub(r"<(pre|code)\b.*?</\1>", "", plain, flags=re.S)
        plain = html.unescape(re.sub(r"<[^>]+>", "", plain))
        own = re.match(r"(\d\d)-", page)
        for m in re.finditer(r"\b[Cc]hapters?\s+(\d+)", plain):
            if not own or int(m.group(1)) != int(own.group(1)):
                problems.append("%s: a mention that is not a link: ...%s..." % (page, plain[max(0, m.start() - 30) : m.end() + 20]))
        if "$" in prose:
            i = prose.index("$")
            problems.append("%s: a raw $ outside code: ...%s..." % (page, prose[max(0, i - 30) : i + 30]))
    return problems


INCLUDE = re.compile(r"\{\{#(include|rustdoc_include)\s+([^}:\s]+)(?::([A-Za-z_][\w-]*))?[^}]*\}\}")


def check_includes(src):
    """mdBook includes nothing, silently, for an anchor that does not exist: check them all."""
    problems = []
    for d, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".md"):
                continue
            page = os.path.join(d, f)
            with open(page, encoding="utf-8") as fh:
                text = fh.read()
            for m in INCLUDE.finditer(text):
                target = os.path.normpath(os.path.join(d, m.group(2)))
                where = "%s: {{#%s %s}}" % (os.path.relpath(page, src), m.group(1), m.group(2))
                if not os.path.isfile(target):
                    problems.append(where + ": no such file")
                    continue
                anchor = m.group(3)
                if anchor:
                    with open(target, encoding="utf-8") as fh:
                        body = fh.read()
                    if not re.search(r"ANCHOR:\s*%s\b" % re.escape(anchor), body) or not re.search(
                        r"ANCHOR_END:\s*%s\b" % re.escape(anchor), body
                    ):
                        problems.append("%s: no anchor '%s' (ANCHOR: / ANCHOR_END:) in the file" % (where, anchor))
    return problems


WIDTHS = (1280, 390)


# Chromium will not make a window narrower than 500 px, so a phone's width is a frame of that
# width in a small page that copies the framed page's report onto its own <html>.
PHONE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="%s" style="width:%dpx;height:900px;border:0"></iframe>
<script>
document.getElementById("page").addEventListener("load", function () {
    var framed = this.contentDocument;
    (function copy() {
        var report = framed.documentElement.getAttribute("data-book-check");
        if (report) document.documentElement.setAttribute("data-book-check", report);
        else setTimeout(copy, 50);
    })();
});
</script></body></html>
"""


def chromium(url, width):
    with tempfile.TemporaryDirectory() as profile:
        if width < 500:
            frame = os.path.join(profile, "frame.html")
            with open(frame, "w", encoding="utf-8") as f:
                f.write(PHONE % (html.escape(url), width))
            url = "file://" + frame
        cmd = [
            os.environ.get("CHROMIUM", "chromium"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--allow-file-access-from-files",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--user-data-dir=" + profile,
            "--virtual-time-budget=10000",
            "--window-size=%d,900" % width,
            "--dump-dom",
            url,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r'data-book-check="([^"]*)"', out.stdout)
    if not m:
        return None
    return json.loads(html.unescape(m.group(1)))


def check_in_browser(root, pages):
    problems = []
    for page in pages:
        url = "file://" + os.path.abspath(os.path.join(root, page))
        for width in WIDTHS[1:]:
            status = chromium(url, width)
            if status is None:
                problems.append("%s: the page did not report its status at %d px" % (page, width))
                continue
            problems += ["%s at %d px: %s" % (page, width, o) for o in status["overflowing"]]
        status = chromium(url, WIDTHS[0])
        if status is None:
            problems.append("%s: the page did not report its status (render-math.js did not run)" % page)
            continue
        if status["errors"]:
            problems.append("%s: formulas KaTeX could not render: %s" % (page, status["errors"]))
        if status["rendered"] != status["formulas"]:
            problems.append("%s: %d of %d formulas rendered" % (page, status["rendered"], status["formulas"]))
        if status["broken_images"]:
            problems.append("%s: images that did not load: %s" % (page, status["broken_images"]))
        problems += ["%s at %d px: %s" % (page, WIDTHS[0], o) for o in status["overflowing"]]
        print(
            "check-book: %-28s %3d formulas rendered, %2d images loaded"
            % (page, status["rendered"], status["images"] - len(status["broken_images"]))
        )
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "book/build"
    src = sys.argv[2] if len(sys.argv) > 2 else "book/src"
    pages = sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, files in os.walk(root)
        for f in files
        if f.endswith(".html") and not os.path.relpath(d, root).startswith(("katex", "theme", "fonts", "css"))
    )
    chapters = [p for p in pages if p not in SKIP and p != "index.html"]
    if not chapters:
        sys.exit("check-book: no pages in %s" % root)
    # 404.html links to the site root of a server; it is not read from a file.
    linked = [p for p in pages if p != "404.html"]
    problems = check_includes(src) + check_links(root, linked) + check_text(root, chapters) + check_in_browser(root, chapters)
    for p in problems:
        print("check-book: " + p, file=sys.stderr)
    if problems:
        sys.exit("check-book: %d problem(s)" % len(problems))
    print("check-book: %d pages: links, includes, formulas and images all fine" % len(chapters))


if __name__ == "__main__":
    main()
