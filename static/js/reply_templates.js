// Reply templates in the decision form: a click or Alt+1..9 appends the template's text to the
// explanation or facts field. Nothing typed is wiped and the text stays editable. Alt+digit
// does not clash with the triage keys (j k c n ? Enter), which ignore Alt.
(function () {
  "use strict";

  function insert(button) {
    var form = button.closest("form");
    var field = form && form.querySelector("[name='" + button.getAttribute("data-field") + "']");
    if (!field) return;
    var text = button.getAttribute("data-body");
    var current = field.value.replace(/\s+$/, "");
    field.value = current ? current + "\n\n" + text : text;
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-reply-template]");
    if (!button) return;
    event.preventDefault();
    insert(button);
  });

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    // event.code, not event.key: on some layouts Alt+digit types another character.
    var match = /^(?:Digit|Numpad)([1-9])$/.exec(event.code || "");
    if (!match) return;
    var button = document.querySelector("[data-reply-templates] [data-shortcut='" + match[1] + "']");
    if (!button) return;
    event.preventDefault();
    insert(button);
  });
})();
