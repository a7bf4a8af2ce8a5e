/* Door list, progressively enhanced: filter names as you type, and tap without reloading.
 * Every tap carries an idempotency key that is kept until the server confirms, so retrying a
 * tap that failed on a flaky connection can never check someone in twice. Without this file
 * the same forms work by plain POST and redirect. */
(function () {
  "use strict";

  var root = document.querySelector("[data-door]");

  // The printable list: a Print button only when printing can be started from here.
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  if (!root) { return; }

  var live = root.querySelector("[data-door-live]");

  function newKey() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Same rule as checkins.search_key on the server: no accents, no case, single spaces.
  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
  }

  var sayTimer = null;
  function say(message) {
    if (!live) { return; }
    live.textContent = message;
    window.clearTimeout(sayTimer);
    sayTimer = window.setTimeout(function () { live.textContent = ""; }, 4000);
  }

  // Keep the confirmation just above the dock, whatever its height (walk-in form open or not).
  var dock = root.querySelector(".door-dock");
  function placeToast() {
    if (dock) { document.documentElement.style.setProperty("--dock-height", dock.offsetHeight + "px"); }
  }
  placeToast();
  if (dock && window.ResizeObserver) { new ResizeObserver(placeToast).observe(dock); }

  // Opening the walk-in form puts the cursor in the name field.
  var walkIn = root.querySelector(".door-walkin");
  if (walkIn) {
    walkIn.addEventListener("toggle", function () {
      if (walkIn.open) { walkIn.querySelector("input[name=name]").focus(); }
    });
  }

  // --- filter as you type ------------------------------------------------------------------
  // A short list is filtered in the page. A long one is capped by the server (the first names and
  // "Showing 100 of 10,000"), and so is a list loaded for a search: then each search asks the
  // server for the list again and puts its answer in place of the results.
  var search = root.querySelector("[data-door-search]");
  var results = root.querySelector("[data-door-results]");
  var serverSearch = Boolean(results && results.hasAttribute("data-door-server-search"));
  var list = root.querySelector("[data-door-list]");
  var noMatch = root.querySelector("[data-door-nomatch]");

  // The search goes into the tap forms (for a return without JavaScript), never into the address:
  // a name searched for is personal data, and URLs end up in history and logs.
  function rememberQuery() {
    Array.prototype.forEach.call(root.querySelectorAll("input[name=q]"), function (input) {
      if (input !== search) { input.value = search.value; }
    });
    if (window.history && window.history.replaceState && window.location.search) {
      window.history.replaceState(null, "", window.location.pathname);
    }
  }

  function filter() {
    if (!list) { return; }
    var needle = fold(search.value);
    var shown = 0;
    Array.prototype.forEach.call(list.children, function (row) {
      var match = !needle || (row.getAttribute("data-search") || "").indexOf(needle) !== -1;
      row.hidden = !match;
      if (match) { shown++; }
    });
    if (noMatch) { noMatch.hidden = shown !== 0; }
    rememberQuery();
  }

  var asked = 0;
  var askTimer = null;
  function askServer() {
    window.clearTimeout(askTimer);
    var mine = ++asked;
    // Posted like the form (with its CSRF token): the name typed stays out of every URL.
    var body = new URLSearchParams();
    body.set("csrf_token", search.form.querySelector("input[name=csrf_token]").value);
    body.set("q", search.value.trim());
    body.set("part", "results");  // the matches only, not the whole page
    results.setAttribute("aria-busy", "true");
    fetch(root.getAttribute("data-list-url"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "text/html" }
    })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (html) {
        if (mine !== asked) { return; }  // a later search has been typed since
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-door-results]");
        if (!fresh) { throw new Error("no results in the answer"); }
        results.replaceChildren.apply(results, Array.prototype.slice.call(fresh.childNodes));
        list = results.querySelector("[data-door-list]");
        noMatch = results.querySelector("[data-door-nomatch]");
      }).catch(function () {
        if (mine === asked) { say(root.getAttribute("data-text-search-failed")); }
      }).then(function () {
        if (mine === asked) { results.removeAttribute("aria-busy"); }
      });
    rememberQuery();
  }

  if (search && results && (list || serverSearch)) {
    var button = root.querySelector("[data-door-search-button]");
    if (button) { button.hidden = true; }
    search.addEventListener("input", function () {
      if (!serverSearch) { filter(); return; }
      window.clearTimeout(askTimer);
      askTimer = window.setTimeout(askServer, 250);
    });
    search.form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (serverSearch) { askServer(); } else { filter(); }
      search.blur();
    });
  }

  // --- taps ----------------------------------------------------------------------------------
  function setCounts(counts) {
    if (!counts) { return; }
    Object.keys(counts).forEach(function (name) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-count='" + name + "']"), function (el) {
        el.textContent = counts[name];
      });
    });
  }

  function showError(form, message) {
    var holder = form.closest("li") || form;
    var box = holder.querySelector("[data-error]");
    if (box) { box.textContent = message || ""; }
    holder.classList.toggle("has-error", Boolean(message));
  }

  function showRowState(row, checkedIn, at, fromElsewhere) {
    row.classList.toggle("is-in", checkedIn);
    var state = row.querySelector("[data-state]");
    if (state) {
      state.textContent = checkedIn ? "\u2713 " + (root.getAttribute("data-text-in") || "Checked in") + (at ? " " + at : "") : "";
    }
    row.querySelector("[data-door-action='check-in']").hidden = checkedIn;
    row.querySelector("[data-door-action='undo']").hidden = !checkedIn;
    if (fromElsewhere) { return; }  // another phone's tap: never move this volunteer's focus
    var visible = row.querySelector("form:not([hidden]) button");
    if (visible && document.activeElement && document.activeElement.closest("li") === row) { visible.focus(); }
  }

  function setBusy(form, busy) {
    form.classList.toggle("is-busy", busy);
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = busy; });
    if (busy) { form.setAttribute("aria-busy", "true"); } else { form.removeAttribute("aria-busy"); }
  }

  // Bumped by every tap of this phone: a refresh asked before it is older than what the tap showed.
  var localChanges = 0;

  function send(form, submitter) {
    if (form.classList.contains("is-busy")) { return; }
    var kind = form.getAttribute("data-door-action");
    localChanges += 1;
    // One key per tap, kept until the server answers: a retry after a failure reuses it.
    var pendingFor = form.getAttribute("data-pending-for");
    var choice = submitter && submitter.name ? submitter.value : "";
    if (!form.getAttribute("data-key") || pendingFor !== choice) {
      form.setAttribute("data-key", newKey());
      form.setAttribute("data-pending-for", choice);
    }
    form.querySelector("input[name=idempotency_key]").value = form.getAttribute("data-key");
    // Sent urlencoded, not as multipart FormData: each multipart body has a new random boundary, and
    // the server compiles a parser for every new boundary (about a quarter of a tap's CPU).
    var body = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) { body.set(submitter.name, submitter.value); }

    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, 12000) : null;
    setBusy(form, true);
    showError(form, "");

    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return { response: response, data: data };
      });
    }).then(function (result) {
      var data = result.data;
      if (result.response.ok && data && data.ok) {
        localChanges += 1;
        form.removeAttribute("data-key");
        form.removeAttribute("data-pending-for");
        setCounts(data.counts);
        say(data.message);
        if (kind === "check-in" || kind === "undo") {
          showRowState(form.closest("li"), data.checked_in, data.at);
        } else if (kind === "crowd") {
          var count = form.querySelector("input[name=count]");
          if (count) { count.value = ""; }
        } else if (kind === "walk-in") {
          // Show the new row (and the message) by loading the list again.
          window.location.replace(root.getAttribute("data-list-url") + "?added=" + data.rsvp_id + "#rsvp-" + data.rsvp_id);
        }
      } else if (result.response.status >= 500) {
        showError(form, root.getAttribute("data-text-retry"));
      } else {
        // Refused (not allowed, bad input, stale page): a new tap gets a new key.
        form.removeAttribute("data-key");
        showError(form, (data && data.message) || root.getAttribute("data-text-refused"));
      }
    }).catch(function () {
      showError(form, root.getAttribute("data-text-retry"));
    }).then(function () {
      if (timer) { window.clearTimeout(timer); }
      setBusy(form, false);
    });
  }

  // --- other phones' taps ----------------------------------------------------------------------
  // Every few seconds, while the page is in view, ask who of the names on screen is checked in now
  // and update those rows and the counts in place (rows never move under a finger). A row with a
  // tap of this phone's own on its way, or waiting to be retried, is left alone, and an answer
  // that crossed one of this phone's taps is dropped (the next round is ten seconds away).
  var stateUrl = root.getAttribute("data-state-url");
  var refreshSeconds = Number(root.getAttribute("data-refresh-seconds")) || 0;
  var refreshing = false;
  function refresh() {
    if (refreshing || document.hidden || !window.fetch) { return; }
    var rows = Array.prototype.slice.call(root.querySelectorAll("li.door-row[id^='rsvp-']"), 0, 200);
    refreshing = true;
    var asked = localChanges;
    var ids = rows.map(function (row) { return row.id.slice(5); }).join(",");
    fetch(stateUrl + "?ids=" + ids, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // A tap of this phone answered meanwhile: what it showed is newer than this answer.
        if (!data || asked !== localChanges) { return; }
        setCounts(data.counts);
        rows.forEach(function (row) {
          var state = data.rows[row.id.slice(5)];
          if (!state || row.querySelector(".is-busy, form[data-key]")) { return; }
          if (state["in"] !== row.classList.contains("is-in")) { showRowState(row, state["in"], state.at, true); }
        });
      })
      .catch(function () { /* offline for a moment: the next round will tell */ })
      .then(function () { refreshing = false; });
  }
  if (stateUrl && refreshSeconds > 0) {
    window.setInterval(refresh, refreshSeconds * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-door-action") || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
    event.preventDefault();
    send(form, event.submitter);
  });
})();
