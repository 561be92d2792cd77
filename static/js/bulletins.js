// Bulletin pages (CSP: no inline scripts): Tom Select on the editor's multi-selects, and the
// acknowledgement fields shown only when the bulletin asks for it.
(function () {
  "use strict";

  function initTomSelect(root) {
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

  function initAckToggle(root) {
    var box = root.querySelector("input[name=requires_ack]");
    var deadline = root.querySelector("[data-ack-deadline]");
    if (!box || !deadline) {
      return;
    }
    function sync() {
      deadline.hidden = !box.checked;
    }
    box.addEventListener("change", sync);
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initTomSelect(document);
    initAckToggle(document);
  });
})();
