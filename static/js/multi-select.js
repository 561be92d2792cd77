/* Tom Select on every <select multiple data-tom-select> of the page (vendored, no CDN): the one
   initialisation, for every page with such a select (promotions, the bulletin editor, the
   catalogue forms, the customer card) and for the ones htmx brings in. */
(function () {
  "use strict";
  function init(root) {
    if (typeof window.TomSelect !== "function") {
      return;
    }
    root.querySelectorAll("select[data-tom-select]").forEach(function (el) {
      if (!el.tomselect) {
        // eslint-disable-next-line no-new
        new window.TomSelect(el, { plugins: ["remove_button"], maxOptions: 500 });
      }
    });
  }
  init(document);
  document.addEventListener("htmx:load", function (event) {
    init(event.target);
  });
})();
