// Visitor log and customer card behaviour (CSP: no inline scripts; loaded by those pages only).
// The customer card's multi-select (models of interest): multi-select.js.
(function () {
  "use strict";

  // --- quick registration: walk-in / call toggles the default source and the party size ------
  function initRegisterForm(root) {
    var form = root.querySelector(".register-form");
    if (!form || form.dataset.ready) {
      return;
    }
    form.dataset.ready = "1";
    var source = form.querySelector("select[name=source]");
    var sourceTouched = false;
    if (source) {
      source.addEventListener("change", function () {
        sourceTouched = true;
      });
    }
    function apply() {
      var checked = form.querySelector("input[name=kind]:checked");
      var kind = checked ? checked.value : "walk_in";
      form.querySelectorAll("[data-walk-in-only]").forEach(function (el) {
        el.classList.toggle("d-none", kind !== "walk_in");
      });
      if (source && !sourceTouched) {
        var wanted = kind === "walk_in" ? source.dataset.walkInSource : source.dataset.phoneSource;
        if (wanted && source.querySelector('option[value="' + wanted + '"]')) {
          source.value = wanted;
        }
      }
    }
    form.querySelectorAll("input[name=kind]").forEach(function (radio) {
      radio.addEventListener("change", apply);
    });
    apply();
  }

  // --- the day picker shows the chosen day at once -------------------------------------------
  function initDayPicker(root) {
    root.querySelectorAll(".day-picker input[type=date]").forEach(function (input) {
      input.addEventListener("change", function () {
        if (input.value) {
          input.form.requestSubmit();
        }
      });
    });
  }

  function init(root) {
    initRegisterForm(root);
  }

  init(document);
  initDayPicker(document);
  document.body.addEventListener("htmx:afterSettle", function () {
    // Idempotent: only new elements are initialised.
    init(document);
    var panel = document.getElementById("register-panel");
    var ok = panel && panel.querySelector("[data-testid=register-success]");
    var name = panel && panel.querySelector("input[name=name]");
    if (ok && name && document.activeElement === document.body) {
      name.focus();
    }
  });
})();
