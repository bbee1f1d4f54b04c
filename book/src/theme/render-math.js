// Renders the formulas of a page with KaTeX (served with the book, so no network is needed),
// then records what happened on <html data-book-check="...">: .ci/check-book reads it from
// headless Chromium to make sure every formula rendered and every image loaded.
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
        }));
    }
    if (document.readyState === "complete") {
        record();
    } else {
        window.addEventListener("load", record);
    }
})();
