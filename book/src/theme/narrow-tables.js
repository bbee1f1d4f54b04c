// On a narrow screen, a table too wide for the column is shown one row at a time, each cell
// under its column's name (kindling.css, table.stacked), so no column hides off the edge.
// Runs after render-math.js, so the widths it compares include the rendered formulas.
(function () {
    "use strict";
    var narrow = window.matchMedia("(max-width: 600px)");

    function label(th) {
        var copy = th.cloneNode(true);
        copy.querySelectorAll(".katex-mathml").forEach(function (el) { el.remove(); });
        return copy.textContent.trim();
    }

    function layout() {
        document.querySelectorAll(".content table").forEach(function (table) {
            table.classList.remove("stacked");
            if (!narrow.matches || table.getBoundingClientRect().width <= table.parentElement.clientWidth + 1) {
                return;
            }
            var names = Array.prototype.map.call(table.querySelectorAll("thead th"), label);
            table.querySelectorAll("tbody tr").forEach(function (row) {
                Array.prototype.forEach.call(row.cells, function (cell, i) {
                    cell.setAttribute("data-label", names[i] || "");
                });
            });
            table.classList.add("stacked");
        });
    }

    layout();
    narrow.addEventListener("change", layout);
})();
