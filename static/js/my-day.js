// My day: the shared "done" and "move" dialogs of the follow-ups (one form each for the whole
// page instead of two forms per row). The button that opens a dialog carries the follow-up id
// (data-follow-up) and the customer's name; the form's action comes from data-action-template
// (the URL of follow-up 0). CSP script-src 'self': no inline handlers.
(function () {
  "use strict";

  function prepare(event) {
    var button = event.relatedTarget;
    var form = event.target.querySelector("form[data-action-template]");
    if (!button || !form || !button.dataset.followUp) {
      return;
    }
    var id = String(parseInt(button.dataset.followUp, 10));
    var action = form.dataset.action;
    form.action = form.dataset.actionTemplate.replace(/\/0\/done\/$/, "/" + id + "/" + action + "/");
    var who = form.querySelector("[data-role='customer']");
    if (who) {
      who.textContent = button.dataset.customer || "";
    }
    form.querySelectorAll("input[name='note'], input[name='reason']").forEach(function (input) {
      input.value = "";
    });
  }

  ["follow-up-done", "follow-up-move"].forEach(function (id) {
    var dialog = document.getElementById(id);
    if (dialog) {
      dialog.addEventListener("show.bs.modal", prepare);
      dialog.addEventListener("shown.bs.modal", function () {
        var first = dialog.querySelector("select, input:not([type='hidden'])");
        if (first) {
          first.focus();
        }
      });
    }
  });
})();
