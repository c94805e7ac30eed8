/* The customer list's bulk action: "select all on this page" ticks or clears every row's
   checkbox, and a row's checkbox keeps it in step. Delegated from the document, so it
   keeps working after htmx swaps the results (no inline handlers: the CSP forbids them). */
(function () {
  "use strict";

  function rows(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=customer_ids]"));
  }

  function sync(form) {
    var all = form.querySelector("[data-select-all]");
    if (!all) {
      return;
    }
    var boxes = rows(form);
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.form || target.form.id !== "bulk-handover") {
      return;
    }
    if (target.hasAttribute("data-select-all")) {
      rows(target.form).forEach(function (box) { box.checked = target.checked; });
    }
    sync(target.form);
  });
})();
