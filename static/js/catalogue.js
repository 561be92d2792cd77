// Catalogue forms: Tom Select on multi-selects marked data-tom-select (a labour operation's models).
(function () {
  "use strict";
  if (typeof window.TomSelect !== "function") {
    return;
  }
  document.querySelectorAll("select[data-tom-select]").forEach(function (el) {
    if (!el.tomselect) {
      new window.TomSelect(el, { plugins: ["remove_button"], maxOptions: 200 });
    }
  });
})();
