// "Fill from link" on a new-article form (the library's, an event's), without reloading the page: the server fetches the
// article (under its SSRF rules) and answers with the fields it filled; only empty fields are filled,
// so nothing the organizer typed is lost. Without this file the button sends the form and the page
// comes back filled in, which is the same result.
(function () {
  "use strict";

  var form = document.querySelector("form[data-fill-url]");
  if (!form || !window.fetch || !window.FormData) return;
  var button = form.querySelector("[data-fill-button]");
  var status = form.querySelector("[data-fill-status]");
  var url = form.querySelector("input[name=url], input[name$='-url']");  // with the form's prefix on an event's page
  if (!button || !status || !url) return;

  function clearUrlError() {
    var old = document.getElementById(url.id + "-fill-error");
    if (old) old.remove();
    url.removeAttribute("aria-invalid");
    url.closest(".field").classList.remove("field--error");
  }

  function showUrlError(message) {
    clearUrlError();
    var error = document.createElement("p");
    error.className = "error";
    error.id = url.id + "-fill-error";
    error.textContent = message;
    url.insertAdjacentElement("afterend", error);
    url.setAttribute("aria-invalid", "true");
    url.setAttribute("aria-describedby", ((url.getAttribute("aria-describedby") || "") + " " + error.id).trim());
    url.closest(".field").classList.add("field--error");
    url.focus();
  }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    status.className = "fill-from-link__status";
    status.textContent = status.dataset.busyText || "…";
    clearUrlError();
    fetch(form.dataset.fillUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          status.textContent = "";
          showUrlError(result.data.error || "");
          return;
        }
        Object.keys(result.data.filled || {}).forEach(function (name) {
          var input = form.elements.namedItem(name);
          if (input) input.value = result.data.filled[name];
        });
        status.className = "fill-from-link__status flash flash--info";
        status.textContent = result.data.message;
      })
      .catch(function () {
        // The connection dropped or the answer was not JSON: the ordinary submit does the same job.
        status.textContent = "";
        form.requestSubmit ? form.requestSubmit(button) : form.submit();
      })
      .then(function () {
        button.removeAttribute("aria-disabled");
      });
  });
})();
