// Keeps what a user typed when their session ends under them (or a form's token expires),
// and puts it back once they are signed in again on the same page. Every page works without it.
//
// What is typed into a POST form is copied to this tab's sessionStorage as it is typed.
// Drafts are put back only after a session loss: an htmx answer with X-Keep-Drafts (see
// accounts/htmx_login.py), the login page with a `next`, or the expired-form page mark the page
// to restore; nothing reappears on an ordinary visit. Passwords, one-time codes, files and hidden
// fields are never copied; signing out forgets every draft; a draft older than two hours is dropped.
(function () {
  "use strict";
  var PREFIX = "tsdash.draft:";
  var RESTORE = "tsdash.restore";
  var MAX_AGE_MS = 2 * 60 * 60 * 1000;
  var SKIPPED_TYPES = ["password", "hidden", "file", "submit", "button", "reset", "image"];

  function store() {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null; // storage disabled: no drafts, the page still works
    }
  }

  function body() {
    return document.body || document.documentElement;
  }

  function isPostForm(form) {
    return form && form.tagName === "FORM" && (form.getAttribute("method") || "").toLowerCase() === "post";
  }

  function formKey(form, path) {
    var forms = Array.prototype.filter.call(document.forms, isPostForm);
    return PREFIX + path + "|" + (form.getAttribute("action") || "") + "|" + forms.indexOf(form);
  }

  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") return false;
      if (SKIPPED_TYPES.indexOf((el.type || "").toLowerCase()) >= 0) return false;
      if ((el.getAttribute("autocomplete") || "") === "one-time-code") return false;
      return !el.hasAttribute("data-no-draft");
    });
  }

  function save(form) {
    var s = store();
    if (!s || !isPostForm(form) || form.hasAttribute("data-no-draft")) return;
    var values = {};
    keptFields(form).forEach(function (el, i) {
      var id = el.name + "#" + i;
      if (el.type === "checkbox" || el.type === "radio") values[id] = el.checked;
      else if (el.multiple) values[id] = Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      else values[id] = el.value;
    });
    s.setItem(formKey(form, window.location.pathname), JSON.stringify({ at: Date.now(), values: values }));
  }

  function restore(form) {
    var s = store();
    var raw = s && s.getItem(formKey(form, window.location.pathname));
    if (!raw) return false;
    var draft;
    try {
      draft = JSON.parse(raw);
    } catch (e) {
      return false;
    }
    if (!draft || Date.now() - draft.at > MAX_AGE_MS) return false;
    var changed = false;
    keptFields(form).forEach(function (el, i) {
      var id = el.name + "#" + i;
      if (!(id in draft.values)) return;
      var value = draft.values[id];
      if (el.type === "checkbox" || el.type === "radio") el.checked = !!value;
      else if (el.multiple) Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) >= 0; });
      else el.value = value;
      changed = true;
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
    return changed;
  }

  function forgetAll() {
    var s = store();
    if (!s) return;
    for (var i = s.length - 1; i >= 0; i--) {
      var key = s.key(i);
      if (key && (key.indexOf(PREFIX) === 0 || key === RESTORE)) s.removeItem(key);
    }
  }

  function pathOf(url) {
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.origin === window.location.origin ? parsed.pathname : null;
    } catch (e) {
      return null;
    }
  }

  function markForRestore(path) {
    var s = store();
    if (s && path) s.setItem(RESTORE, path);
  }

  document.addEventListener("input", function (event) {
    save(event.target.form);
  });
  document.addEventListener("change", function (event) {
    save(event.target.form);
  });
  document.addEventListener("submit", function (event) {
    var logout = body().getAttribute("data-logout-url");
    if (logout && event.target.getAttribute("action") === logout) forgetAll();
  });

  // An htmx answer that leaves the page because the session (or the form's token) is gone.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Redirect") && xhr.getResponseHeader("X-Keep-Drafts")) {
      markForRestore(window.location.pathname);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var s = store();
    if (!s) return;
    var login = body().getAttribute("data-login-url");
    if (login && window.location.pathname === login) {
      // A full-page request that found no session: its `next` is where the drafts belong.
      var next = new URLSearchParams(window.location.search).get("next");
      if (next) markForRestore(pathOf(next));
      return;
    }
    if (document.querySelector("[data-error='csrf']")) {
      markForRestore(pathOf(document.referrer));
      return;
    }
    if (s.getItem(RESTORE) !== window.location.pathname) return;
    s.removeItem(RESTORE);
    var restored = Array.prototype.filter.call(document.forms, isPostForm).filter(restore);
    if (restored.length) {
      var notice = document.createElement("p");
      notice.className = "message message-warning";
      notice.setAttribute("role", "status");
      notice.setAttribute("data-notice", "draft-restored");
      notice.textContent = body().getAttribute("data-draft-restored") || "";
      var main = document.getElementById("main");
      if (main) main.insertBefore(notice, main.firstChild);
    }
  });
})();
