// Tables on a phone: each row becomes a small card, each cell labelled with its column's
// heading (copied here into data-label, which the stylesheet shows on narrow screens), so a
// 390 px screen never scrolls sideways and an item's name stays next to its counts.
// Without this script the tables keep their columns and scroll inside their box.
(function () {
  "use strict";
  document.querySelectorAll("main table").forEach(function (table) {
    const head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head || table.hasAttribute("data-no-stack")) return;
    const labels = [];
    Array.from(head.cells).forEach(function (cell) {
      for (let i = 0; i < (cell.colSpan || 1); i++) labels.push(cell.textContent.trim());
    });
    Array.from(table.tBodies).forEach(function (body) {
      Array.from(body.rows).forEach(function (row) {
        let column = 0;
        Array.from(row.cells).forEach(function (cell) {
          if (!cell.hasAttribute("data-label") && cell.colSpan === 1 && labels[column]) {
            cell.setAttribute("data-label", labels[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("stacked");
  });
})();
