/* The page a mail's "Yes, I'm coming" link opens sends its form on its own, so a person clicks once while a
 * mail scanner, which opens links without running scripts, records nothing. Without JavaScript the button
 * is there to press. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-submit-on-load]");
  if (!form) return;
  if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
})();
