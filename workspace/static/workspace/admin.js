// certbody's repairs to the Django admin's markup for screen readers (WCAG 2.1 SC 1.3.1, 4.1.2;
// checked by tests/test_axe.py). The admin's own templates and widgets leave a few form fields
// without a name: a tabular inline's cells (their label is the column header), a split date and
// time (its "Date:" and "Time:" are plain text), and the filter boxes' tooltip icons carry an
// aria-label without a role. Loaded on every admin page by templates/admin/base_site.html.
(function () {
  "use strict";

  function hasName(el) {
    if (el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")) return true;
    if (el.closest("label")) return true;
    return !!(el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'));
  }

  // The column a cell starts at, counting the colspans before it.
  function column(cell) {
    var n = 0;
    for (var c = cell.previousElementSibling; c; c = c.previousElementSibling) n += c.colSpan || 1;
    return n;
  }

  function fields(root) {
    return root.querySelectorAll("input:not([type=hidden]), select, textarea");
  }

  function repair(root) {
    root.querySelectorAll(".tabular table").forEach(function (table) {
      var headers = {};
      table.querySelectorAll("thead th").forEach(function (th) {
        headers[column(th)] = th.textContent.replace(/\s+/g, " ").trim();
      });
      table.querySelectorAll("tbody td").forEach(function (td) {
        var header = headers[column(td)];
        if (!header) return;
        fields(td).forEach(function (el) {
          if (!hasName(el)) el.setAttribute("aria-label", header);
        });
      });
    });
    root.querySelectorAll("p.datetime").forEach(function (p) {
      var row = p.closest(".form-row, .fieldBox, .flex-container");
      var label = row && row.querySelector("label");
      var name = label ? label.textContent.replace(/[:：]\s*$/, "").trim() : "";
      fields(p).forEach(function (el) {
        if (hasName(el)) return;
        var text = el.previousSibling;
        while (text && text.nodeType !== Node.TEXT_NODE) text = text.previousSibling;
        var part = text ? text.textContent.replace(/[:：]\s*$/, "").trim() : "";
        el.setAttribute("aria-label", (name + " " + part).trim());
      });
    });
    root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (el) {
      el.setAttribute("role", "img");
    });
  }

  // After the admin's own scripts (the filter boxes are built on "load").
  window.addEventListener("load", function () { setTimeout(function () { repair(document); }, 0); });
  document.addEventListener("formset:added", function (event) { repair(event.target); });
})();
