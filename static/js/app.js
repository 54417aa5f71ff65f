// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Forms that ask for confirmation before a consequential action: data-confirm="text".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
