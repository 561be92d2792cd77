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
  // a submission carries a key made when the form is first submitted; the server runs a key once
  // per user and replays its answer to a repeat (dms/idempotency). After an answer the form gets a
  // new key for its next, deliberate submission. Only submissions carry it: a form's live
  // previews (htmx on change) are not creates.
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function submissionKey(form) {
    if (!form.dataset.idempotencyKey) {
      form.dataset.idempotencyKey = newKey();
    }
    return form.dataset.idempotencyKey;
  }

  function isHtmxForm(form) {
    return form.hasAttribute("hx-post") || form.closest("[hx-boost]") !== null;
  }

  // A plain form: the key travels as a hidden field (a browser's resubmission sends it again).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || isHtmxForm(form)) {
      return;
    }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") {
      return;
    }
    var input = form.querySelector('input[name="_idempotency_key"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "_idempotency_key";
      form.appendChild(input);
    }
    input.value = submissionKey(form);
  }, true);

  // An htmx form: the key travels as the Idempotency-Key header of the submit request only.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.triggeringEvent;
    var form = event.detail.elt;
    if (event.detail.verb === "post" && trigger && trigger.type === "submit" &&
        form instanceof HTMLFormElement) {
      event.detail.headers["Idempotency-Key"] = submissionKey(form);
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form instanceof HTMLFormElement && event.detail.successful) {
      delete form.dataset.idempotencyKey;  // answered: the next submission is a new one
    }
  });

  // The server checks every form and answers with all of its problems at once, each at its
  // field; the browser's own checks stop at the first empty or malformed field, one bubble at
  // a time. So forms are sent as typed (`required` stays on the fields for screen readers).
  function serverValidates(root) {
    root.querySelectorAll("form").forEach(function (form) {
      form.noValidate = true;
    });
  }

  initTooltips(document);
  serverValidates(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    initTooltips(event.target);
    serverValidates(document);
  });
})();
