/* "Copy link" on the public event page: shown only when the browser can copy (progressive enhancement).
 * Without JavaScript the link sits in a read-only field people can select and copy themselves.
 *
 * A campaign page opened from a share link (?r=CODE) hands the code on to its events' links, where the
 * RSVP records it. Done here, in the browser: the page is one cached copy for every code. */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-button]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-button"));
    if (!source || !navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        button.textContent = button.getAttribute("data-copied-text") || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        source.select();
      });
    });
  });
  document.querySelectorAll("[data-copy-source]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  var code = new URLSearchParams(window.location.search).get("r");
  if (code) {
    document.querySelectorAll("a[data-carries-share-code]").forEach(function (link) {
      var target = new URL(link.href, window.location.href);
      if (target.origin !== window.location.origin) return;
      target.searchParams.set("r", code);
      link.href = target.pathname + target.search + target.hash;
    });
  }
})();
