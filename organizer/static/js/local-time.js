// Times are shown in the event's own zone, always named. A visitor whose browser is in another zone
// also sees what that is for them: "(that is 21:00 your time)". Progressive enhancement: without this
// file nothing is missing. The sentence comes translated from the page (data-your-time, with {time} for the time).
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  document.querySelectorAll("time[data-your-time]").forEach(function (element) {
    var iso = element.getAttribute("datetime") || "";
    var offset = /([+-])(\d\d):(\d\d)$/.exec(iso);
    var when = new Date(iso);
    if (!offset || isNaN(when.getTime())) {
      return;
    }
    var eventOffset = (offset[1] === "-" ? -1 : 1) * (parseInt(offset[2], 10) * 60 + parseInt(offset[3], 10));
    if (-when.getTimezoneOffset() === eventOffset) {
      return;
    }
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    var eventDay = iso.slice(0, 10);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var localDay = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate());
    if (localDay !== eventDay) {
      options.weekday = "long";
    }
    var note = document.createElement("span");
    note.className = "your-time";
    note.textContent = element.getAttribute("data-your-time").replace("{time}",
      new Intl.DateTimeFormat(lang, options).format(when));
    element.insertAdjacentText("afterend", " ");
    element.parentNode.insertBefore(note, element.nextSibling.nextSibling);
  });
})();
