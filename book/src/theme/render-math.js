// Renders the formulas of a page with KaTeX (served with the book, so no network is needed),
// then records what happened on <html data-book-check="...">: .ci/check-book reads it from
// headless Chromium to make sure every formula rendered, every image loaded and nothing is
// wider than its box at the window's width.
(function () {
    "use strict";
    var formulas = document.querySelectorAll(".math-inline, .math-display");
    var errors = [];
    formulas.forEach(function (el) {
        var tex = el.textContent;
        try {
            if (typeof katex === "undefined") {
                throw new Error("KaTeX is not loaded");
            }
            katex.render(tex, el, {
                displayMode: el.classList.contains("math-display"),
                throwOnError: true,
            });
            el.classList.add("math-rendered");
        } catch (e) {
            el.classList.add("math-error");
            el.title = String(e);
            errors.push(tex + " :: " + String(e));
        }
    });

    // What a reader would have to scroll sideways to see: code blocks and tables wider than
    // their box, and the page itself wider than the window.
    function overflowing() {
        var found = [];
        function first(text) {
            var lines = text.split("\n");
            var longest = lines.reduce(function (a, b) { return b.length > a.length ? b : a; }, "");
            return longest.trim().slice(0, 70);
        }
        document.querySelectorAll("main pre").forEach(function (pre) {
            var code = pre.querySelector("code") || pre;
            [pre, code].some(function (el) {
                if (el.scrollWidth > el.clientWidth + 1) {
                    found.push("code block " + el.scrollWidth + " px wide in a " + el.clientWidth +
                        " px box: " + first(code.textContent));
                    return true;
                }
                return false;
            });
        });
        document.querySelectorAll("main table").forEach(function (table) {
            var box = table.parentElement;
            var width = table.getBoundingClientRect().width;
            if (width > box.clientWidth + 1) {
                found.push("table " + Math.round(width) + " px wide in a " + box.clientWidth +
                    " px box: " + first(table.rows[0] ? table.rows[0].textContent : ""));
            }
        });
        var page = document.documentElement.scrollWidth;
        if (page > window.innerWidth + 1) {
            found.push("the page is " + page + " px wide in a " + window.innerWidth + " px window");
        }
        return found;
    }

    function record() {
        // mdBook shows each image twice (inline and zoomed): count each source once.
        var images = Array.prototype.slice.call(document.querySelectorAll("main img"));
        var sources = {};
        var broken = {};
        images.forEach(function (img) {
            var src = img.getAttribute("src");
            sources[src] = true;
            if (!(img.complete && img.naturalWidth > 0)) {
                broken[src] = true;
            }
        });
        document.documentElement.setAttribute("data-book-check", JSON.stringify({
            formulas: formulas.length,
            rendered: document.querySelectorAll(".math-rendered .katex").length,
            errors: errors,
            images: Object.keys(sources).length,
            broken_images: Object.keys(broken),
            width: window.innerWidth,
            overflowing: overflowing(),
        }));
    }
    if (document.readyState === "complete") {
        record();
    } else {
        window.addEventListener("load", record);
    }
})();
