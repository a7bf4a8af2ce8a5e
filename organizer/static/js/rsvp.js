// RSVP form.
// 1. The event page is served the same to every visitor who has no session yet, so its form has no
//    CSRF token: it is fetched from data-csrf-url once someone starts filling the form in (or at
//    the latest when they send it). Without this file the server asks them to press again.
// 2. One press sends once. A double tap on a phone would otherwise post twice (harmless, but the
//    second post emails a fresh private link).
(function () {
  "use strict";

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
  // 3. A form sent back with mistakes opens at #rsvp-result, its error summary, which takes the focus
  //    (browsers skip autofocus on a page opened at a fragment); for a browser that scrolls there
  //    without focusing it, the focus is moved here once the page has loaded.
  window.addEventListener("load", function () {
    var summary = document.getElementById("rsvp-result");
    if (summary && document.activeElement === document.body) {
      summary.focus();
    }
  });
})();
