// Showroom pages (quote builder): show the finance fields only for finance and lease.
// CSP is script-src 'self': no inline scripts; this file is loaded by templates/sales/*.html.
(function () {
  "use strict";

  function syncFinanceFields(form) {
    var checked = form.querySelector('input[name="payment"]:checked');
    var financed = checked && checked.value !== "cash";
    form.querySelectorAll("[data-finance-fields]").forEach(function (el) {
      el.classList.toggle("d-none", !financed);
    });
  }

  var form = document.getElementById("quote-form");
  if (form) {
    syncFinanceFields(form);
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "payment") {
        syncFinanceFields(form);
      }
    });
  }
})();
