/* Door list, progressively enhanced: filter names as you type, tap without reloading, keep working
 * without signal, scan tickets. Without this file the same forms work by plain POST and redirect.
 *
 * Every tap (check-in, undo, walk-in, crowd, scanned ticket) goes into a queue kept on the phone
 * (localStorage) with its own idempotency key and the time it was made, and the queue is sent in
 * order, one at a time: a tap made without signal is sent when the connection returns, and a tap
 * whose answer was lost is sent again with the same key, which the server recognises. The screen
 * shows each tap at once. A second tap on the same row within GUARD_MS of the first is ignored, so
 * a double tap never lands on the Undo that replaced Check in. Each crowd tap counts: +1 twice is +2.
 *
 * The words come from the page (data-strings, translated on the server). */
(function () {
  "use strict";

  // The printable list: a Print button only when printing can be started from here.
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // What a phone kept of door lists (names, waiting taps, the reopened page): all of it goes when
  // the volunteer leaves the door, and when the server says the door is closed to this phone.
  function wipe() {
    // Every door list this browser kept, not only this one: leaving the door leaves nothing behind.
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf("organizer.door.") === 0) { window.localStorage.removeItem(key); }
      }
    } catch (error) { /* storage off: nothing was kept */ }
    var work = [];
    if (window.caches) { work.push(window.caches.delete("organizer-door")); }
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      work.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.filter(function (registration) {
          return /\/door\/e\/$/.test(registration.scope);
        }).map(function (registration) { return registration.unregister(); }));
      }));
    }
    // Never keep someone from leaving: go on after a moment whatever happened.
    return Promise.race([Promise.all(work).catch(function () { return null; }),
                         new Promise(function (resolve) { window.setTimeout(resolve, 1500); })]);
  }

  if (document.querySelector("[data-door-ended]")) { wipe(); return; }

  var root = document.querySelector("[data-door]");
  if (!root || !window.fetch || !window.URLSearchParams || !window.JSON) { return; }

  var GUARD_MS = 1000;  // a second tap on the same row this soon after the first is a double tap
  var KEEP_MS = 24 * 3600 * 1000;  // what the phone kept is not shown after a day
  var MAX_LOCAL_ROWS = 100;
  var T = JSON.parse(root.getAttribute("data-strings"));
  var PREFIX = "organizer.door.";
  var mine = PREFIX + root.getAttribute("data-event") + "." + root.getAttribute("data-owner") + ".";
  var live = root.querySelector("[data-door-live]");
  var banner = root.querySelector("[data-door-offline]");
  var rowTemplate = root.querySelector("[data-door-row-template]");
  var rsvpUrl = root.getAttribute("data-rsvp-url");
  var lang = document.documentElement.lang || undefined;

  // --- what the phone keeps ------------------------------------------------------------------
  function load(name, fallback) {
    try {
      var text = window.localStorage.getItem(mine + name);
      return text ? JSON.parse(text) : fallback;
    } catch (error) { return fallback; }
  }
  function keep(name, value) {
    try { window.localStorage.setItem(mine + name, JSON.stringify(value)); } catch (error) { /* full or off */ }
  }
  var names = load("names", null);  // {at, counts, list: [{id, name, guests, walk_in, key, in, at}]}
  if (names && !(Date.now() - names.at < KEEP_MS)) { names = null; }
  // The figures the counts start from: those kept with the names, else the page's own.
  var baseCounts = names ? names.counts : JSON.parse(root.getAttribute("data-counts") || "null");

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

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  var sayTimer = null;
  function say(message) {
    if (!live || !message) { return; }
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

  // --- the queue -------------------------------------------------------------------------------
  // data-waiting on the list: how many taps are not yet confirmed by the server (0 when all are).
  function queue() { return load("queue", []); }
  function enqueue(item) {
    var items = queue();
    items.push(item);
    keep("queue", items);
    root.setAttribute("data-waiting", String(items.length));
  }
  function dequeue(key) {
    var items = queue().filter(function (item) { return item.key !== key; });
    keep("queue", items);
    root.setAttribute("data-waiting", String(items.length));
  }

  var offline = false;
  function setOffline(value) {
    offline = value;
    showBanner();
  }
  function showBanner() {
    if (!banner) { return; }
    var waiting = queue().length;
    if (!offline) {
      banner.hidden = true;
      banner.textContent = "";
      return;
    }
    var text = T.offline;
    if (waiting > 0) {
      text = waiting <= T.waiting.length ? T.waiting[waiting - 1]
        : fill(T.waiting_many, { num: new Intl.NumberFormat(lang).format(waiting) });
    }
    banner.textContent = text;
    banner.hidden = false;
  }

  var csrf = (root.querySelector("input[name=csrf_token]") || {}).value || "";
  var sending = false;
  var retryTimer = null;
  var retryDelay = 1000;

  function flush() {
    if (sending) { return; }
    var items = queue();
    window.clearTimeout(retryTimer);
    if (!items.length) { showBanner(); return; }
    var item = items[0];
    var body = new URLSearchParams(item.fields || {});
    body.set("csrf_token", csrf);
    body.set("idempotency_key", item.key);
    body.set("tapped_ago", String(Math.max(0, Date.now() - item.at)));
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, 12000) : null;
    sending = true;
    sent += 1;
    // Sent urlencoded, not as multipart FormData: each multipart body has a new random boundary, and
    // the server compiles a parser for every new boundary (about a quarter of a tap's CPU).
    fetch(item.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.status >= 500 || !data) { throw new Error("try again later"); }
        return { status: response.status, data: data };
      });
    }).then(function (result) {
      if (timer) { window.clearTimeout(timer); }
      sending = false;
      retryDelay = 1000;
      dequeue(item.key);
      var wasOffline = offline;
      offline = false;
      if (result.data.ended) {
        endDoor(result.data.message);
        return;
      }
      if (result.data.ok) { done(item, result.data); } else { refused(item, result.data); }
      if (wasOffline && !queue().length) { say(T.sent); }
      showBanner();
      flush();
      recountIfDue();
    }).catch(function () {
      if (timer) { window.clearTimeout(timer); }
      sending = false;
      setOffline(true);
      markWaiting();
      retryTimer = window.setTimeout(flush, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  window.addEventListener("online", function () { retryDelay = 1000; flush(); recountIfDue(); });
  window.addEventListener("offline", function () { setOffline(true); });

  // --- counts: the server's last figures plus what is still waiting in the queue ------------------
  // What the server last said of a person: how many of the party (1 + guests) are in.
  function rowState(rsvpId) {
    var row = document.getElementById("rsvp-" + rsvpId);
    var entry = names && names.list.find(function (person) { return person.id === rsvpId; });
    var party = entry ? entry.party : Number(row && row.getAttribute("data-party")) || 1;
    var personsIn = entry ? entry.persons_in : Number(row && row.getAttribute("data-server-in")) || 0;
    return { party: party, personsIn: personsIn, lastStep: personsIn, walk_in: entry ? entry.walk_in : false };
  }

  // A tap's effect on how many of a party are in: check-in adds those chosen (all not yet in by
  // default), undo takes back the last step (shown by the server, else everyone).
  function afterTap(item, state) {
    if (item.kind === "check-in") {
      var wanted = Number(item.fields.persons) || state.party - state.personsIn;
      var step = Math.max(0, Math.min(wanted, state.party - state.personsIn));
      return { party: state.party, personsIn: state.personsIn + step, lastStep: step || state.lastStep, walk_in: state.walk_in };
    }
    var back = Math.min(Number(item.lastStep) || state.personsIn, state.personsIn);
    return { party: state.party, personsIn: state.personsIn - back, lastStep: state.personsIn - back, walk_in: state.walk_in };
  }

  function showCounts() {
    if (!baseCounts) { return; }
    var counts = Object.assign({}, baseCounts);
    var states = {};
    queue().forEach(function (item) {
      if (item.kind === "check-in" || item.kind === "undo") {
        var state = states[item.rsvp] || rowState(item.rsvp);
        var next = afterTap(item, state);
        counts[state.walk_in ? "walk_ins" : "checked_in"] += next.personsIn - state.personsIn;
        states[item.rsvp] = next;
      } else if (item.kind === "walk-in") {
        counts.walk_ins += 1;
      } else if (item.kind === "crowd") {
        var change = item.fields.change;
        counts.crowd = change === "set" ? Number(item.fields.count) : Math.max(0, counts.crowd + Number(change));
      }
    });
    Object.keys(counts).forEach(function (name) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-count='" + name + "']"), function (el) {
        el.textContent = new Intl.NumberFormat(lang).format(Math.max(0, counts[name]));
      });
    });
  }

  function serverCounts(counts) {
    if (counts) { baseCounts = counts; }
    if (names && counts) { names.counts = counts; keep("names", names); }
    showCounts();
  }

  // A tap's answer says what that tap changed ({checked_in: 2}), not the event's figures: this
  // phone adds it to the figures it has, and the refresh below brings the other phones' taps.
  function addToCounts(change) {
    if (baseCounts && change) {
      Object.keys(change).forEach(function (name) {
        if (typeof baseCounts[name] === "number") { baseCounts[name] += Number(change[name]) || 0; }
      });
      if (names) { names.counts = baseCounts; keep("names", names); }
    }
    showCounts();
  }

  // --- rows ------------------------------------------------------------------------------------
  function showError(holder, message) {
    var box = holder.querySelector("[data-error]");
    if (box) { box.textContent = message || ""; }
    holder.classList.toggle("has-error", Boolean(message));
  }

  // What the server says of a person, kept: in the names on the phone, and on the row (data-server-in).
  function remember(rsvpId, personsIn, at) {
    var row = document.getElementById("rsvp-" + rsvpId);
    if (row) { row.setAttribute("data-server-in", String(personsIn)); }
    if (!names) { return; }
    var entry = names.list.find(function (person) { return person.id === rsvpId; });
    if (entry) { entry.persons_in = personsIn; entry["in"] = personsIn > 0; entry.at = at || ""; keep("names", names); }
  }

  // Shows how many of a row's party are in (``state``: a number, or true for all / false for none).
  // `guard`: the button that takes the place of the one tapped is inert for GUARD_MS (a double tap
  // must not land on it); `focus`: it takes the focus, so a keyboard or screen-reader user stays on
  // the row (`undo`: the tap was an undo, so Check in takes it).
  function showRowState(row, state, at, options) {
    options = options || {};
    var party = Number(row.getAttribute("data-party")) || 1;
    var personsIn = typeof state === "number" ? state : (state ? party : 0);
    personsIn = Math.max(0, Math.min(personsIn, party));
    var checkedIn = personsIn > 0;
    row.setAttribute("data-persons-in", String(personsIn));
    row.classList.toggle("is-in", checkedIn);
    row.classList.toggle("is-partly-in", checkedIn && personsIn < party);
    var stateText = row.querySelector("[data-state]");
    if (stateText) {
      var what = party > 1 ? fill(T.party_in[Math.min(personsIn, T.party_in.length - 1)], { num: personsIn, party: party })
        : T["in"];
      var text = checkedIn ? "\u2713 " + what + (at ? " " + at : "") : "";
      if (options.waiting) { text = (text ? text + " \u00b7 " : "") + T.pending; }
      stateText.textContent = text;
    }
    var checkForm = row.querySelector("[data-door-action='check-in']");
    var undoForm = row.querySelector("[data-door-action='undo']");
    if (!checkForm || !undoForm) { return; }
    checkForm.hidden = personsIn >= party;
    undoForm.hidden = !checkedIn;
    var persons = checkForm.querySelector("select[name=persons]");
    if (persons) {
      persons.replaceChildren();
      for (var count = party - personsIn; count >= 1; count--) {
        persons.appendChild(new Option(String(count), String(count)));
      }
    }
    var shown = ((options.undo || !checkedIn) && !checkForm.hidden ? checkForm : undoForm).querySelector("button");
    if (options.guard) {
      shown.setAttribute("aria-disabled", "true");
      shown.classList.add("is-guarded");
      window.setTimeout(function () {
        shown.removeAttribute("aria-disabled");
        shown.classList.remove("is-guarded");
      }, Math.max(0, Number(row.getAttribute("data-guard-until")) - Date.now()));
    }
    if (options.focus) { shown.focus(); }
  }

  // Rows with a tap still in the queue say so while there is no signal.
  function markWaiting() {
    var latest = {};
    queue().forEach(function (item) {
      if (item.rsvp) { latest[item.rsvp] = afterTap(item, latest[item.rsvp] || rowState(item.rsvp)); }
    });
    Object.keys(latest).forEach(function (rsvpId) {
      var row = document.getElementById("rsvp-" + rsvpId);
      if (row) { showRowState(row, latest[rsvpId].personsIn, "", { waiting: true }); }
    });
  }

  function makeRow(person) {
    var row = rowTemplate.content.firstElementChild.cloneNode(true);
    if (person.id) { row.id = "rsvp-" + person.id; }
    var party = person.party || 1 + (person.guests || 0);
    row.setAttribute("data-party", String(party));
    row.setAttribute("data-server-in", String(person.persons_in || 0));
    if (party < 2) { row.querySelector("[data-persons]").remove(); }
    row.setAttribute("data-search", person.key || fold(person.name));
    Array.prototype.forEach.call(row.querySelectorAll("[data-name]"), function (el) {
      el.textContent = el.classList.contains("visually-hidden") ? " " + person.name : person.name;
    });
    var guests = row.querySelector("[data-guests]");
    if (person.guests) {
      guests.textContent = person.guests < T.guests.length ? T.guests[person.guests]
        : fill(T.guests[T.guests.length - 1], { num: person.guests });
    } else { guests.remove(); }
    if (!person.walk_in) { row.querySelector("[data-walk-in]").remove(); }
    Array.prototype.forEach.call(row.querySelectorAll("form[data-action-path]"), function (form) {
      if (person.id) {
        form.action = rsvpUrl + person.id + "/" + form.getAttribute("data-action-path");
      } else {
        form.remove();  // a walk-in not yet sent has no number to check in or undo
      }
    });
    var shownIn = typeof person.persons_in === "number" ? person.persons_in : Boolean(person["in"]);
    showRowState(row, shownIn, person.at || "", { waiting: Boolean(person.waiting) });
    return row;
  }

  // --- taps ------------------------------------------------------------------------------------
  function tapRow(form, kind) {
    var row = form.closest("li");
    var now = Date.now();
    if (now < Number(row.getAttribute("data-guard-until") || 0)) { return; }  // the second tap of a double tap
    row.setAttribute("data-guard-until", String(now + GUARD_MS));
    var rsvpId = Number(row.id.slice(5));
    var hadFocus = !document.activeElement || document.activeElement === document.body || row.contains(document.activeElement);
    showError(row, "");
    var fields = { q: (form.querySelector("input[name=q]") || {}).value || "" };
    var persons = form.querySelector("select[name=persons]");
    if (persons) { fields.persons = persons.value; }
    var before = { party: Number(row.getAttribute("data-party")) || 1,
                   personsIn: Number(row.getAttribute("data-persons-in")) || 0, walk_in: false };
    var item = { key: newKey(), kind: kind, url: form.action, at: now, rsvp: rsvpId, fields: fields,
                 lastStep: Number(row.getAttribute("data-last-step")) || 0 };
    enqueue(item);
    var after = afterTap(item, before);
    row.setAttribute("data-last-step", String(after.lastStep));
    showRowState(row, after.personsIn, "", { guard: true, focus: hadFocus, waiting: offline, undo: kind === "undo" });
    showCounts();
    if (offline) { say(T.queued); showBanner(); }
    flush();
  }

  function tapCrowd(form, submitter) {
    var change = submitter && submitter.name === "change" ? submitter.value : "";
    var fields = { change: change };
    if (change === "set") {
      var count = form.querySelector("input[name=count]");
      if (!count.value || !count.checkValidity()) { count.reportValidity(); return; }
      fields.count = count.value;
      count.value = "";
    }
    showError(form, "");
    enqueue({ key: newKey(), kind: "crowd", url: form.action, at: Date.now(), fields: fields });
    showCounts();
    if (offline) { say(T.queued); showBanner(); }
    flush();
  }

  function tapWalkIn(form) {
    var name = form.querySelector("input[name=name]");
    var email = form.querySelector("input[name=email]");
    var key = newKey();
    showError(form, "");
    enqueue({ key: key, kind: "walk-in", url: form.action, at: Date.now(), name: name.value,
              fields: { name: name.value, email: email ? email.value : "" } });
    var list = ensureList();
    var row = makeRow({ name: name.value, walk_in: true, "in": true, waiting: true });
    row.setAttribute("data-walk-in-key", key);
    list.insertBefore(row, list.firstChild);
    form.reset();
    if (walkIn) { walkIn.open = false; walkIn.querySelector("summary").focus(); }
    showCounts();
    if (offline) { say(fill(T.walk_in_queued, { name: name.value })); showBanner(); }
    flush();
  }

  function ensureList() {
    var list = root.querySelector("[data-door-list]");
    if (!list) {
      list = document.createElement("ul");
      list.className = "door-list";
      list.setAttribute("data-door-list", "");
      results.replaceChildren(list);
    }
    return list;
  }

  // The server's answer to a tap of the queue.
  function done(item, data) {
    if (data.counts) { serverCounts(data.counts); } else { addToCounts(data.counts_change); }
    if (item.kind === "check-in" || item.kind === "undo" || item.kind === "scan") {
      var personsIn = typeof data.persons_in === "number" ? data.persons_in : (data.checked_in ? 1 : 0);
      remember(data.rsvp_id, personsIn, data.at);
      var row = document.getElementById("rsvp-" + data.rsvp_id);
      var later = queue().some(function (other) { return other.rsvp === data.rsvp_id; });
      if (row && !later) {
        if (typeof data.last_step === "number") { row.setAttribute("data-last-step", String(data.last_step)); }
        showRowState(row, typeof data.persons_in === "number" ? data.persons_in : data.checked_in, data.at);
      }
      if (item.kind === "scan") { scanSays(data.message, !data.changed); }
    } else if (item.kind === "walk-in") {
      var pending = root.querySelector("[data-walk-in-key='" + item.key + "']");
      var person = { id: data.rsvp_id, name: item.name, walk_in: true, "in": true, at: data.at || "", key: fold(item.name) };
      if (names && !names.list.some(function (entry) { return entry.id === data.rsvp_id; })) {
        names.list.push(person);
        keep("names", names);
      }
      var existing = document.getElementById("rsvp-" + data.rsvp_id);
      if (existing) {
        showRowState(existing, true, data.at);
        if (pending) { pending.remove(); }
      } else if (pending) {
        pending.replaceWith(makeRow(person));
      }
    }
    say(data.message);
  }

  // Refused (not allowed, bad input, no longer on the list): the screen goes back to what the
  // server says, and says why.
  function refused(item, data) {
    var message = (data && data.message) || T.refused;
    if (item.kind === "check-in" || item.kind === "undo") {
      var row = document.getElementById("rsvp-" + item.rsvp);
      if (row) {
        var entry = names && names.list.find(function (person) { return person.id === item.rsvp; });
        showRowState(row, entry ? entry.persons_in : rowState(item.rsvp).personsIn, entry ? entry.at : "");
        showError(row, message);
      }
    } else if (item.kind === "walk-in") {
      var pending = root.querySelector("[data-walk-in-key='" + item.key + "']");
      if (pending) { pending.remove(); }
      var form = root.querySelector("form[data-door-action='walk-in']");
      if (walkIn) { walkIn.open = true; }
      form.querySelector("input[name=name]").value = item.fields.name;
      form.querySelector("input[name=email]").value = item.fields.email || "";
      showError(form, message);
    } else if (item.kind === "crowd") {
      showError(root.querySelector("form[data-door-action='crowd']"), message);
    } else if (item.kind === "scan") {
      scanSays(message, true, true);
    }
    showCounts();
    say(message);
  }

  // The door link was turned off (or the volunteer's role removed): nothing kept may stay.
  function endDoor(message) {
    wipe();
    var notice = document.createElement("div");
    notice.className = "door-ended";
    notice.setAttribute("role", "alert");
    notice.textContent = message || T.ended;
    root.replaceChildren(notice);
  }

  // --- filter as you type ----------------------------------------------------------------------
  // A short list is filtered in the page. A long one is capped by the server (the first names and
  // "Showing 100 of 10,000"), and so is a list loaded for a search: then each search asks the
  // server for the list again and puts its answer in place of the results. Without signal, the
  // names kept on the phone are searched instead.
  var search = root.querySelector("[data-door-search]");
  var results = root.querySelector("[data-door-results]");
  var serverSearch = Boolean(results && results.hasAttribute("data-door-server-search"));

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
    var list = root.querySelector("[data-door-list]");
    var noMatch = root.querySelector("[data-door-nomatch]");
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

  // The names kept on the phone, with the taps still waiting, drawn as rows (no signal needed).
  function searchKept() {
    var needle = fold(search.value);
    var waiting = {};
    queue().forEach(function (item) { if (item.rsvp) { waiting[item.rsvp] = item.kind === "check-in"; } });
    var found = names.list.filter(function (person) { return !needle || person.key.indexOf(needle) !== -1; });
    var list = document.createElement("ul");
    list.className = "door-list";
    list.setAttribute("data-door-list", "");
    queue().forEach(function (item) {
      if (item.kind === "walk-in" && (!needle || fold(item.name).indexOf(needle) !== -1)) {
        var row = makeRow({ name: item.name, walk_in: true, "in": true, waiting: true });
        row.setAttribute("data-walk-in-key", item.key);
        list.appendChild(row);
      }
    });
    found.slice(0, MAX_LOCAL_ROWS).forEach(function (person) {
      var shown = Object.assign({}, person);
      if (Object.prototype.hasOwnProperty.call(waiting, person.id)) {
        shown["in"] = waiting[person.id];
        shown.at = "";
        shown.waiting = true;
      }
      list.appendChild(makeRow(shown));
    });
    var parts = [list];
    if (!list.children.length) {
      var empty = document.createElement("p");
      empty.className = "empty-state door-nomatch";
      empty.textContent = T.no_match;
      parts = [empty];
    }
    results.replaceChildren.apply(results, parts);
    rememberQuery();
  }

  var asked = 0;
  var askTimer = null;
  function askServer() {
    window.clearTimeout(askTimer);
    var mineAsked = ++asked;
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
        if (mineAsked !== asked) { return; }  // a later search has been typed since
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-door-results]");
        if (!fresh) { throw new Error("no results in the answer"); }
        results.replaceChildren.apply(results, Array.prototype.slice.call(fresh.childNodes));
        markWaiting();
      }).catch(function () {
        if (mineAsked !== asked) { return; }
        if (names) { setOffline(true); searchKept(); } else { say(T.search_failed); }
      }).then(function () {
        if (mineAsked === asked) { results.removeAttribute("aria-busy"); }
      });
    rememberQuery();
  }

  function onSearch() {
    if (offline && names) { searchKept(); return; }
    if (!serverSearch) { filter(); return; }
    window.clearTimeout(askTimer);
    askTimer = window.setTimeout(askServer, 250);
  }

  if (search && results) {
    var button = root.querySelector("[data-door-search-button]");
    if (button) { button.hidden = true; }
    search.addEventListener("input", onSearch);
    search.form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (offline && names) { searchKept(); } else if (serverSearch) { askServer(); } else { filter(); }
      search.blur();
    });
  }

  // Figures read by the server while a tap of this phone was on its way may or may not hold that
  // tap, and its answer adds it: such figures are left aside, and asked for again once the queue is
  // empty.
  // Both readers start only with no tap on its way (the names before the first flush, a refresh
  // not while sending), so a tap sent since is the only one that can be in doubt.
  var sent = 0;  // taps sent so far
  var recount = false;
  function clearOf(sentBefore) {
    var clear = sent === sentBefore;
    if (!clear) { recount = true; }
    return clear;
  }
  function recountIfDue() {
    if (recount && !sending && !refreshing && !queue().length) { refresh(); }
  }

  // --- the names kept on the phone ---------------------------------------------------------------
  function fetchNames() {
    var sentBefore = sent;
    return fetch(root.getAttribute("data-names-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (data && data.ended) { endDoor(data.message); return; }
          if (!response.ok || !data) { throw new Error(String(response.status)); }
          var counts = clearOf(sentBefore) || !baseCounts ? data.counts : baseCounts;
          names = { at: Date.now(), counts: counts, list: data.names };
          keep("names", names);
          serverCounts(counts);
          recountIfDue();
        });
      });
  }

  // --- other phones' taps ----------------------------------------------------------------------
  // Every few seconds, while the page is in view, ask who of the names on screen is checked in now
  // and update those rows and the counts in place (rows never move under a finger). Not while a tap
  // of this phone is waiting or on its way: such figures could count it twice or not at all.
  var stateUrl = root.getAttribute("data-state-url");
  var refreshSeconds = Number(root.getAttribute("data-refresh-seconds")) || 0;
  var refreshing = false;
  function refresh() {
    if (refreshing || sending || queue().length || document.hidden) { return; }
    var asked = recount;  // a re-read that fails is asked for again (when back online or in view)
    recount = false;
    var failed = false;
    var rows = Array.prototype.slice.call(root.querySelectorAll("li.door-row[id^='rsvp-']"), 0, 200);
    refreshing = true;
    var sentBefore = sent;
    var ids = rows.map(function (row) { return row.id.slice(5); }).join(",");
    fetch(stateUrl + "?ids=" + ids, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (data && data.ended) { endDoor(data.message); return null; }
          if (!response.ok) { failed = true; return null; }
          return data;
        });
      })
      .then(function (data) {
        if (!data) { return; }
        if (!clearOf(sentBefore) || queue().length) { recount = true; return; }
        if (offline) { setOffline(false); }
        serverCounts(data.counts);
        rows.forEach(function (row) {
          var state = data.rows[row.id.slice(5)];
          if (!state) { return; }
          var personsIn = typeof state.persons_in === "number" ? state.persons_in : (state["in"] ? 1 : 0);
          remember(Number(row.id.slice(5)), personsIn, state.at);
          if (personsIn !== Number(row.getAttribute("data-persons-in"))) { showRowState(row, personsIn, state.at); }
        });
      })
      .catch(function () { failed = true; setOffline(true); })
      .then(function () {
        refreshing = false;
        if (failed) { recount = recount || asked; } else { recountIfDue(); }
      });
  }
  if (stateUrl && refreshSeconds > 0) { window.setInterval(refresh, refreshSeconds * 1000); }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { return; }
    if (refreshSeconds > 0) { refresh(); } else { recountIfDue(); }
  });

  // --- scanning tickets ------------------------------------------------------------------------
  var scanner = root.querySelector("[data-door-scan]");
  var camera = root.querySelector("[data-door-camera]");
  var video = root.querySelector("[data-door-video]");
  var scanStatus = root.querySelector("[data-door-scan-status]");
  var stream = null;
  var scanLoop = null;
  var lastCode = { text: "", at: 0 };
  var scansSent = 0;

  function scanSays(message, warn, error) {
    if (!scanStatus) { return; }
    scanStatus.textContent = message || "";
    scanStatus.classList.toggle("is-warn", Boolean(warn) && !error);
    scanStatus.classList.toggle("is-error", Boolean(error));
    scanStatus.classList.toggle("is-ok", !warn && !error && Boolean(message));
  }

  function loadJsQR() {
    if (window.jsQR) { return Promise.resolve(window.jsQR); }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.getAttribute("data-jsqr-url");
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // The browser's own BarcodeDetector when it reads QR codes; jsQR (vendored) otherwise.
  function makeReader() {
    if ("BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") === -1) { throw new Error("no qr_code"); }
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function () {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      }).catch(readWithJsQR);
    }
    return readWithJsQR();
  }

  function readWithJsQR() {
    return loadJsQR().then(function (jsQR) {
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function () {
        var scale = Math.min(1, 640 / (video.videoWidth || 640));
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        if (!canvas.width || !canvas.height) { return Promise.resolve(null); }
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { scanSays(T.scan_no_camera, true); return; }
    scanSays(T.scan_starting);
    // The camera can take seconds to open or fail; a code typed meanwhile has its own answer on
    // screen, which news of the camera must not replace.
    var scansBefore = scansSent;
    function cameraSays(message, warn) { if (scansSent === scansBefore) { scanSays(message, warn); } }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        if (!scanner.open) { media.getTracks().forEach(function (track) { track.stop(); }); return null; }
        stream = media;
        video.srcObject = media;
        camera.hidden = false;
        return video.play().then(makeReader);
      })
      .then(function (read) {
        if (!read) { return; }
        cameraSays(T.scan_ready);
        var busy = false;
        scanLoop = window.setInterval(function () {
          if (busy || video.readyState < 2) { return; }
          busy = true;
          read().then(function (text) { if (text) { scanned(text); } })
            .catch(function () { /* a frame that could not be read: the next one */ })
            .then(function () { busy = false; });
        }, 150);
      })
      .catch(function () {
        stopCamera();
        cameraSays(T.scan_no_camera, true);
        var code = root.querySelector("#door-code");
        if (code && scansSent === scansBefore) { code.focus(); }
      });
  }

  function stopCamera() {
    window.clearInterval(scanLoop);
    scanLoop = null;
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    if (video) { video.srcObject = null; }
    if (camera) { camera.hidden = true; }
  }

  // A code held in front of the camera is read several times a second: the same code again within
  // a few seconds is the same ticket, not another tap.
  function scanned(text) {
    var now = Date.now();
    if (text === lastCode.text && now - lastCode.at < 4000) { lastCode.at = now; return; }
    lastCode = { text: text, at: now };
    sendScan(text);
  }

  function sendScan(text) {
    var form = root.querySelector("form[data-door-action='scan']");
    scansSent += 1;
    enqueue({ key: newKey(), kind: "scan", url: form.action, at: Date.now(), fields: { code: text } });
    scanSays(offline ? T.queued : T.scan_checking);
    if (offline) { showBanner(); }
    flush();
  }

  if (scanner && video) {
    scanner.addEventListener("toggle", function () {
      if (scanner.open) { startCamera(); } else { stopCamera(); scanSays(""); }
    });
  }

  // --- leaving the door ----------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("[data-door-leave]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (queue().length && !window.confirm(T.leave_waiting)) { return; }
      wipe().then(function () { form.submit(); });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-door-leave-link]"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (queue().length && !window.confirm(T.leave_waiting)) { return; }
      wipe().then(function () { window.location.assign(link.href); });
    });
  });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    var kind = form.getAttribute("data-door-action");
    if (!kind) { return; }
    event.preventDefault();
    if (kind === "check-in" || kind === "undo") { tapRow(form, kind); }
    else if (kind === "crowd") { tapCrowd(form, event.submitter); }
    else if (kind === "walk-in") { tapWalkIn(form); }
    else if (kind === "scan") {
      var code = form.querySelector("input[name=code]");
      sendScan(code.value);
      code.value = "";
    }
  });

  // --- start -------------------------------------------------------------------------------------
  if (navigator.serviceWorker) {
    var firstVisit = !navigator.serviceWorker.controller;
    navigator.serviceWorker.register(root.getAttribute("data-worker-url"), { scope: root.getAttribute("data-worker-scope") })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        // Loaded before the worker was there: have it keep this page and its files now.
        if (!firstVisit || !registration.active) { return; }
        var files = [window.location.pathname, root.getAttribute("data-jsqr-url")];
        Array.prototype.forEach.call(document.querySelectorAll("link[rel=stylesheet][href], script[src]"), function (el) {
          files.push(el.getAttribute("href") || el.getAttribute("src"));
        });
        registration.active.postMessage({ keep: files });
      })
      .catch(function () { /* no offline reopening in this browser; the rest works */ });
  }
  root.setAttribute("data-waiting", String(queue().length));
  if (queue().length) { markWaiting(); }
  fetchNames().then(function () {
    if (queue().length) { markWaiting(); }
  }, function () {
    // No signal as the page opens (it came from the service worker): show what the phone kept.
    setOffline(true);
    if (names) {
      serverCounts(names.counts);
      searchKept();
    }
  }).then(flush);
})();
