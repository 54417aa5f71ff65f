// Triage keyboard: j/k move, Enter opens, c claims, n claims the next case, ? shows help.
// Deadlines tick down once a minute. Everything also works without this file.
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-keyboard-list] tbody tr[data-href]"));
  }
  function selected() {
    return document.querySelector("[data-keyboard-list] tbody tr.is-selected");
  }
  function select(row) {
    var current = selected();
    if (current) current.classList.remove("is-selected");
    if (row) {
      row.classList.add("is-selected");
      row.scrollIntoView({ block: "nearest" });
    }
  }
  function move(step) {
    var list = rows();
    if (!list.length) return;
    var index = list.indexOf(selected());
    var next = index < 0 ? 0 : Math.min(Math.max(index + step, 0), list.length - 1);
    select(list[next]);
  }
  function typing(target) {
    return target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable);
  }
  function submitClaim(row) {
    var form = document.getElementById("claim-" + row.getAttribute("data-claim-url").match(/cases\/(\d+)\//)[1]);
    if (form) form.submit();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var help = document.getElementById("hotkeys-help");
    var row = selected();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": if (row) window.location.href = row.getAttribute("data-href"); else return; break;
      case "c":
        if (row) { submitClaim(row); break; }
        var claim = document.querySelector("[data-hotkey='c']");
        if (claim) claim.click(); else return;
        break;
      case "n":
        var next = document.querySelector("[data-hotkey='n']");
        if (next) next.click(); else return;
        break;
      case "?": if (help && help.showModal) help.showModal(); else return; break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-keyboard-list] tbody tr[data-href]");
    if (!row || event.target.closest("a, button, input, label")) return;
    select(row);
  });
  document.addEventListener("dblclick", function (event) {
    var row = event.target.closest && event.target.closest("[data-keyboard-list] tbody tr[data-href]");
    if (row && !event.target.closest("a, button, input, label")) window.location.href = row.getAttribute("data-href");
  });

  function span(seconds) {
    seconds = Math.abs(Math.floor(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + (m < 10 ? "0" : "") + m + "m";
    return m + "m";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-deadline]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-deadline")) - now) / 1000;
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("due-soon", left >= 0 && left < 4 * 3600);
      el.textContent = left < 0 ? "overdue " + span(left) : "in " + span(left);
    });
  }
  setInterval(tick, 60000);
})();
