// RSVP forms: the one on the event page, and the organizers' "add an RSVP by hand" (points 2 and 3).
// 1. The event page is served the same to every visitor who has no session yet, so its form has no
//    CSRF token: it is fetched from data-csrf-url once someone starts filling the form in (or at
//    the latest when they send it). Without this file the server asks them to press again.
// 2. One press sends once: a double tap on a phone posts the form once, and the button dims while
//    the form is on its way.
// 3. The same filled-in form sent again, because its answer never came (a server died, the signal
//    dropped), carries the same key: the server gives the first answer again instead of taking a second
//    RSVP. A form that says anything else, or one sent more than 15 minutes later, gets a new key.
//    The key is kept for this tab only (sessionStorage, so that a reload of the error page or the back
//    button finds it) with a fingerprint of what the form said, and forgotten as soon as an answer
//    page (marked data-rsvp-answered) opens. Without this file, a page the server made for one person
//    (never the one shared by everyone) carries a key of its own (organizer/pagecache.py), so a browser
//    that sends that page again after a lost answer is answered the same way.
(function () {
  "use strict";

  var KEY_LIFETIME_MS = 15 * 60 * 1000;
  var keptInMemory = {};

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (byte) {
      return ("0" + byte.toString(16)).slice(-2);
    }).join("");
  }

  // FNV-1a: the same words give the same number; nothing needs more than telling forms apart.
  function fingerprint(text) {
    var hash = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return text.length + ":" + hash.toString(16);
  }

  function whatItSays(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || element.disabled || name === "csrf_token" || name === "submission_key") return;
      if (element.type === "submit" || element.type === "button") return;
      if ((element.type === "checkbox" || element.type === "radio") && !element.checked) return;
      parts.push(name + "=" + String(element.value).trim());
    });
    return fingerprint(parts.join("\n"));
  }

  // Where the tab's storage can't be written (turned off, full, private browsing in older Safari), this
  // page's memory still covers a second press. Where it can, it alone says what is kept: an answer page
  // may have emptied it since this page was last shown.
  var storageWritable = null;

  function kept(name) {
    if (storageWritable === false) return keptInMemory[name] || null;
    try {
      return JSON.parse(window.sessionStorage.getItem(name));
    } catch (error) {
      return keptInMemory[name] || null;
    }
  }

  // The answer arrived (this page is it): nothing is left to send again, so nothing is kept.
  function forgetSentForms() {
    try {
      for (var i = window.sessionStorage.length - 1; i >= 0; i--) {
        var name = window.sessionStorage.key(i);
        if (name && name.indexOf("rsvp-submission:") === 0) window.sessionStorage.removeItem(name);
      }
    } catch (error) {
      // storage turned off: nothing was kept
    }
  }

  function keep(name, entry) {
    keptInMemory[name] = entry;
    try {
      window.sessionStorage.setItem(name, JSON.stringify(entry));
      storageWritable = true;
    } catch (error) {
      storageWritable = false;
    }
  }

  function setSubmissionKey(form) {
    var input = form.querySelector("input[name=submission_key]");
    if (!input || !window.crypto || !window.crypto.getRandomValues) return;
    var name = "rsvp-submission:" + window.location.pathname;
    var says = whatItSays(form);
    var entry = kept(name);
    if (!entry || entry.says !== says || !(Date.now() - entry.at < KEY_LIFETIME_MS)) {
      entry = { key: newKey(), says: says, at: Date.now() };
      keep(name, entry);
    }
    input.value = entry.key;
  }

  function tokenInput(form) {
    return form.querySelector("input[name=csrf_token]");
  }

  function ensureToken(form) {
    var input = tokenInput(form);
    if (!input || input.value || !form.dataset.csrfUrl) {
      return Promise.resolve();
    }
    if (!form._tokenRequest) {
      // A stalled request must not hold the button: after 8 seconds the form goes without a
      // token, and the server asks for one more press.
      var controller = window.AbortController ? new AbortController() : null;
      var timer = controller ? window.setTimeout(function () { controller.abort(); }, 8000) : null;
      form._tokenRequest = fetch(form.dataset.csrfUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (data) {
          input.value = data.csrf_token;
        })
        .catch(function () {
          form._tokenRequest = null; // offline for a moment: try again later, or the server asks to press again
        })
        .then(function () {
          if (timer) window.clearTimeout(timer);
        });
    }
    return form._tokenRequest;
  }

  function markSending(form) {
    form.dataset.sent = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("is-sending");
    });
  }

  if (document.querySelector("[data-rsvp-answered]")) forgetSentForms();

  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("focusin", function () {
      ensureToken(form);
    });
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") {
        event.preventDefault();
        return;
      }
      markSending(form);
      try {
        setSubmissionKey(form);
      } catch (error) {
        // an older browser: the form goes with whatever key its page came with (none on the shared page)
      }
      var input = tokenInput(form);
      if (input && !input.value && form.dataset.csrfUrl) {
        event.preventDefault();
        ensureToken(form).then(function () {
          HTMLFormElement.prototype.submit.call(form);
        });
      }
    });
  });
  // Back to the page from the browser's cache: the form may be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.removeAttribute("aria-disabled");
        button.classList.remove("is-sending");
      });
    });
  });
  // 4. A form sent back with mistakes opens at #rsvp-result, its error summary, which takes the focus
  //    (browsers skip autofocus on a page opened at a fragment); for a browser that scrolls there
  //    without focusing it, the focus is moved here once the page has loaded.
  window.addEventListener("load", function () {
    var summary = document.getElementById("rsvp-result");
    if (summary && document.activeElement === document.body) {
      summary.focus();
    }
  });
})();
