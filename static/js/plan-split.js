// Plan split grid: live sums per month against the dealer's plan (the server checks again).
(function () {
  "use strict";
  function refresh(form) {
    var sums = {};
    form.querySelectorAll(".plan-split-cell").forEach(function (input) {
      var month = input.dataset.month;
      var text = input.value.trim();
      var value = /^\d+$/.test(text) ? parseInt(text, 10) : 0;
      sums[month] = (sums[month] || 0) + value;
    });
    // Read-only cells (kept as saved) count towards the month too.
    form.querySelectorAll(".plan-split-kept").forEach(function (cell) {
      var month = cell.dataset.month;
      sums[month] = (sums[month] || 0) + (parseInt(cell.dataset.value, 10) || 0);
    });
    form.querySelectorAll("[data-sum-month]").forEach(function (cell) {
      var month = cell.dataset.sumMonth;
      var planCell = form.querySelector('[data-plan-month="' + month + '"]');
      var plan = planCell ? parseInt(planCell.textContent, 10) : 0;
      var sum = sums[month] || 0;
      cell.textContent = String(sum);
      cell.classList.toggle("text-success", sum === plan);
      cell.classList.toggle("text-danger", sum !== plan);
    });
  }
  document.querySelectorAll(".plan-split-form").forEach(function (form) {
    form.addEventListener("input", function () { refresh(form); });
  });
})();
