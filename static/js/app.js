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

  // Top-bar menus (<details class="navmenu">): one open at a time; a click elsewhere or
  // Escape closes them (Escape gives focus back to the menu's button).
  function closeMenus(except) {
    document.querySelectorAll("details.navmenu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target.closest && event.target.closest("details.navmenu");
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.navmenu[open]");
    if (!open) return;
    closeMenus(null);
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  // Preferences: "Use my browser's time zone" picks the zone the browser reports.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-use-browser-zone]");
    if (!button) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var select = document.getElementById(button.getAttribute("data-use-browser-zone"));
    if (!select || !zone) return;
    var found = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (found) {
      select.value = zone;
      select.focus();
    }
  });
})();
