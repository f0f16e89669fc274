/* Keyboard shortcuts and kept drafts for the desk. Plain script from this server (CSP 'self').
 *   j / k    next / previous dossier (queue: move the selection, Enter opens it)
 *   /        search the queue
 *   s        approve (the official, on a dossier waiting for approval): opens the one confirmation
 *   ?        list of shortcuts
 * Text typed into a form is kept in sessionStorage until the form is sent and the desk answers
 * with a success message, so an expired session or a lost connection never loses it. */
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function go(selector) {
    var a = document.querySelector(selector);
    if (a && a.href) { window.location.href = a.href; return true; }
    return false;
  }
  function queueRows() { return Array.prototype.slice.call(document.querySelectorAll("table.antrean tbody tr[data-berkas]")); }
  function moveSelection(step) {
    var rows = queueRows();
    if (!rows.length) return false;
    var current = rows.findIndex(function (r) { return r.classList.contains("terpilih"); });
    var next = Math.max(0, Math.min(rows.length - 1, current < 0 ? 0 : current + step));
    rows.forEach(function (r) { r.classList.remove("terpilih"); r.removeAttribute("aria-selected"); });
    rows[next].classList.add("terpilih");
    rows[next].setAttribute("aria-selected", "true");
    rows[next].querySelector("a").focus();
    return true;
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var key = ev.key, done = false;
    if (key === "j") done = moveSelection(1) || go("a[rel=next]");
    else if (key === "k") done = moveSelection(-1) || go("a[rel=prev]");
    else if (key === "/") {
      var search = document.querySelector("input[name=q]");
      if (search) { search.focus(); search.select(); done = true; }
      else { window.location.href = "/antrean?cari=1"; done = true; }
    } else if (key === "s") {
      var approve = document.querySelector("details.konfirmasi-setujui");
      if (approve) { approve.open = true; approve.querySelector("button").focus(); done = true; }
    } else if (key === "?") {
      var help = document.getElementById("pintasan");
      if (help) { help.open = !help.open; done = true; }
    }
    if (done) ev.preventDefault();
  });
  if (/[?&]cari=1/.test(window.location.search)) {
    var q = document.querySelector("input[name=q]");
    if (q) q.focus();
  }

  // Participant list: only the flagged rows on request (a finding's link is a plain #anchor).
  var onlyFlagged = document.getElementById("hanya-ditandai");
  if (onlyFlagged) {
    var table = document.querySelector("table.peserta");
    onlyFlagged.addEventListener("change", function () { table.classList.toggle("hanya-bertanda", onlyFlagged.checked); });
  }

  // Drafts: keyed by form action and field; a kept text replaces the page's starting text.
  var store;
  try { store = window.sessionStorage; } catch (e) { store = null; }
  if (!store) return;
  var success = document.querySelector(".pesan.ok");
  function keyOf(form, field) { return "draf:" + (form.getAttribute("data-draf") || form.getAttribute("action")) + ":" + field.name; }
  var forms = document.querySelectorAll("form[method=post]:not([data-tanpa-draf])");
  Array.prototype.forEach.call(forms, function (form) {
    var fields = form.querySelectorAll("textarea[name], input[type=text][name], input:not([type])[name]");
    Array.prototype.forEach.call(fields, function (field) {
      var key = keyOf(form, field);
      var sent = store.getItem(key + ":terkirim");
      if (success && sent) { store.removeItem(key); store.removeItem(key + ":terkirim"); return; }
      var kept = store.getItem(key);
      if (kept !== null && kept !== field.value) {
        field.value = kept;
        field.classList.add("dipulihkan");
        var details = field.closest("details");
        if (details) details.open = true;
      }
      field.addEventListener("input", function () { store.setItem(key, field.value); });
    });
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(fields, function (field) {
        var key = keyOf(form, field);
        store.setItem(key, field.value);
        store.setItem(key + ":terkirim", "1");
      });
    });
  });
})();
