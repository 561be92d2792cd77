// Aurora DMS: page-wide behaviour. Loaded on every page after Bootstrap and htmx.
// CSP is script-src 'self': no inline scripts or handlers anywhere; everything goes here.
(function () {
  "use strict";

  // CSRF for htmx requests (django-htmx): Django reads the token from the X-CSRFToken header.
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // Bootstrap tooltips (e.g. "coming soon" menu entries), also inside content htmx swaps in.
  function initTooltips(root) {
    if (!window.bootstrap) {
      return;
    }
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      window.bootstrap.Tooltip.getOrCreateInstance(el);
    });
  }

  initTooltips(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    initTooltips(event.target);
  });
})();
