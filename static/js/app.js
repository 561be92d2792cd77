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

  // Double submits (a double click, a retry on a flaky tablet connection) must not create twice:
  // every POST form carries a key made when the form is shown; the server runs a key once per
  // user and replays its answer to a repeat (dms/idempotency). A new form gets a new key.
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function addIdempotencyKeys(root) {
    root.querySelectorAll('form[method="post"], form[method="POST"]').forEach(function (form) {
      if (form.querySelector('input[name="_idempotency_key"]')) {
        return;
      }
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "_idempotency_key";
      input.value = newKey();
      form.appendChild(input);
    });
  }

  initTooltips(document);
  addIdempotencyKeys(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    initTooltips(event.target);
    addIdempotencyKeys(event.target);
  });
})();
