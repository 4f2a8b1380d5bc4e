// symderiv pages: typeset the math with KaTeX, then make the element explorers respond.
// Every lookup stays inside its own explorer, so several derivations can share one page
// (course notes, a notebook, a Sphinx site) without their elements answering each other.
(function () {
  "use strict";

  // An explorer keeps one equation per element aside; each is typeset when it is shown, not
  // when the page loads (a page of course notes holds a thousand of them).
  function typeset(root) {
    root.querySelectorAll(".math:not([data-typeset])").forEach(function (node) {
      if (node.closest(".equations")) return;
      var tex = node.textContent;
      try {
        katex.render(tex, node, {
          displayMode: node.classList.contains("display"),
          throwOnError: true,
          strict: "error",
          output: "htmlAndMathml",
        });
        node.setAttribute("data-typeset", "");
      } catch (error) {
        // The TeX stays readable in place; the console says which formula failed.
        console.error("symderiv: KaTeX could not typeset " + JSON.stringify(tex) + ": " + error);
      }
    });
  }

  var MARKS = ["reads", "feeds", "window"];

  function clear(explorer) {
    explorer.querySelectorAll("[data-mark]").forEach(function (cell) {
      cell.removeAttribute("data-mark");
    });
    explorer.querySelectorAll("[data-current]").forEach(function (cell) {
      cell.removeAttribute("data-current");
    });
  }

  function cellAt(explorer, place) {
    return explorer.querySelector('[data-place="' + CSS.escape(place) + '"]');
  }

  function show(explorer, cell) {
    clear(explorer);
    cell.setAttribute("data-current", "");
    // A window is marked first, so that the switch it contains reads as the switch.
    MARKS.slice().reverse().forEach(function (mark) {
      (cell.getAttribute("data-" + mark) || "").split(" ").forEach(function (place) {
        var other = place && cellAt(explorer, place);
        if (other && other !== cell) other.setAttribute("data-mark", mark);
      });
    });
    var view = explorer.querySelector(".equation-view");
    var equation = cell.getAttribute("data-equation");
    var source = equation && explorer.querySelector('[data-equation-of="' + CSS.escape(equation) + '"]');
    view.innerHTML = source ? source.innerHTML : "";
    typeset(view);
  }

  // The keyboard reaches each table once with Tab and moves inside it with the arrow keys
  // (Home and End for a row's ends): a roving tabindex, so that a page with a few hundred
  // elements is not a few hundred Tab stops. Without scripts nothing is focusable, since
  // focusing would show nothing.
  var STEPS = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };

  function move(cell, event) {
    var row = cell.parentElement, table = row.closest("table");
    var rows = Array.from(table.rows), r = rows.indexOf(row), c = cell.cellIndex;
    var step = STEPS[event.key];
    if (step) {
      r += step[0];
      c += step[1];
    } else if (event.key === "Home") {
      c = 0;
    } else if (event.key === "End") {
      c = row.cells.length - 1;
    } else {
      return;
    }
    var target = rows[r] && rows[r].cells[c];
    event.preventDefault();
    if (!target || !target.hasAttribute("data-place")) return;
    cell.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }

  function wire(explorer) {
    if (explorer.hasAttribute("data-wired")) return;
    explorer.setAttribute("data-wired", "");
    explorer.classList.add("live");
    explorer.querySelectorAll("table").forEach(function (table) {
      table.querySelectorAll("[data-place]").forEach(function (cell, n) {
        cell.tabIndex = n === 0 ? 0 : -1;
        var handler = function () { show(explorer, cell); };
        cell.addEventListener("mouseenter", handler);
        cell.addEventListener("focus", handler);
        cell.addEventListener("keydown", function (event) { move(cell, event); });
      });
    });
  }

  function start() {
    typeset(document);
    document.querySelectorAll(".symderiv-explorer").forEach(wire);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
