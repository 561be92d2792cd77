// Bulletin pages (CSP: no inline scripts): the acknowledgement fields shown only when the
// bulletin asks for it. The editor's multi-selects: multi-select.js.
(function () {
  "use strict";

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
    initAckToggle(document);
  });
})();
