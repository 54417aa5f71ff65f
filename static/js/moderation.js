// Triage keyboard: j/k move, Enter opens, c claims, n claims the next case, ? shows help; on
// the case page any element with data-hotkey="x" answers x (buttons click, checkboxes tick,
// <details> open), and Ctrl+Enter sends the decision with "Submit & next". Filterable checkbox
// lists (data-multi-select). Deadlines tick down once a minute. Everything works without it.
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
    if (!target) return false;
    // A ticked checkbox keeps the focus: the next key is still a shortcut, not text.
    if (target.tagName === "INPUT") return !/^(checkbox|radio|button|submit|reset)$/.test(target.type);
    return /^(TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable;
  }
  // One claim form serves the page: point it at the selected row's claim URL and send it.
  function submitClaim(row) {
    var form = document.getElementById("claim-form");
    if (!form) return;
    form.action = row.getAttribute("data-claim-url");
    form.submit();
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
      default:
        if (!hotkey(event.key)) return;
    }
    event.preventDefault();
  });

  // The element that answers a key on this page (data-hotkey), if any: true when it acted.
  function hotkey(key) {
    if (!/^[a-z0-9]$/.test(key)) return false;
    var target = document.querySelector("[data-hotkey='" + key + "']");
    if (!target) return false;
    if (target.tagName === "DETAILS") {
      target.open = true;
      var field = target.querySelector("textarea, input, select");
      if (field) field.focus();
    } else if (target.type === "checkbox") {
      target.click();
      target.focus();
    } else {
      target.click();
    }
    return true;
  }

  // Ctrl+Enter (Cmd+Enter) sends the decision form with "Submit & next", even while typing.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest && event.target.closest("form.decision-form");
    var next = form && form.querySelector("[data-submit-next]");
    if (!next) return;
    event.preventDefault();
    next.click();
  });

  document.addEventListener("click", function (event) {
    var show = event.target.closest && event.target.closest("[data-show-hotkeys]");
    var help = document.getElementById("hotkeys-help");
    if (show && help && help.showModal) help.showModal();
  });

  // Filterable checkbox lists: the filter hides the options that do not match; the summary
  // says how many are chosen.
  function chosenCount(box) {
    var count = box.querySelectorAll("input[type=checkbox]:checked").length;
    var out = box.querySelector("[data-chosen]");
    if (out) out.textContent = count ? "(" + count + ")" : "";
  }
  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-multi-filter]")) return;
    var box = event.target.closest("[data-multi-select]");
    var wanted = event.target.value.trim().toLowerCase();
    box.querySelectorAll("label").forEach(function (label) {
      var row = label.parentElement;
      row.hidden = wanted !== "" && label.textContent.toLowerCase().indexOf(wanted) < 0;
    });
  });
  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest("[data-multi-select]");
    if (box) chosenCount(box);
  });
  function countAll() {
    document.querySelectorAll("[data-multi-select]").forEach(chosenCount);
  }
  document.addEventListener("DOMContentLoaded", countAll);
  document.addEventListener("htmx:afterSwap", countAll);

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
