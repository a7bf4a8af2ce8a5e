/* Search-as-you-type over a campaign's coverage library (progressive enhancement).
 *
 * Without JavaScript the search box submits its GET form and the server lists the matches.
 * With it, typing fetches the JSON search endpoint and redraws the list in place:
 *   data-coverage-search="<json url>"   on the <input type=search>
 *   data-coverage-results="<id>"        the element whose content is replaced
 *   data-coverage-mode="pick" | "list"  radio buttons to pick one (event page) or links to edit (library)
 * Everything is built with DOM methods and textContent: nothing from the server becomes HTML.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function formatDate(iso) {
    if (!iso) return "";
    var parts = iso.split("-");
    var date = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    try {
      return date.toLocaleDateString(document.documentElement.lang || undefined,
        { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
    } catch (e) {
      return iso;
    }
  }

  function meta(item) {
    var bits = [];
    if (item.outlet) bits.push(item.outlet);
    if (item.author) bits.push(item.author);
    if (item.published_on) bits.push(formatDate(item.published_on));
    return bits.join(" · ");
  }

  function renderPick(container, results, emptyText) {
    var checked = container.querySelector("input[type=radio]:checked");
    var keep = checked ? checked.value : null;
    container.textContent = "";
    if (!results.length) {
      container.appendChild(el("p", "meta", emptyText));
      return;
    }
    results.forEach(function (item) {
      var label = el("label", "pick");
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "coverage_id";
      input.value = String(item.id);
      if (keep === input.value) input.checked = true;
      var text = el("span", "pick__text");
      text.appendChild(el("span", "pick__headline", item.headline));
      text.appendChild(el("span", "meta", meta(item)));
      label.appendChild(input);
      label.appendChild(text);
      container.appendChild(label);
    });
  }

  function renderList(container, results, emptyText, editText) {
    container.textContent = "";
    if (!results.length) {
      var empty = el("li", "empty-state");
      empty.appendChild(el("p", "", emptyText));
      container.appendChild(empty);
      return;
    }
    results.forEach(function (item) {
      var row = el("li", "coverage-row");
      var main = el("div", "coverage-row__main");
      var headline = el("a", "coverage-row__headline", item.headline);
      headline.href = item.edit_url;
      main.appendChild(headline);
      main.appendChild(el("span", "meta", meta(item)));
      var actions = el("div", "coverage-row__actions");
      var edit = el("a", "", editText || "Edit");
      edit.href = item.edit_url;
      actions.appendChild(edit);
      row.appendChild(main);
      row.appendChild(actions);
      container.appendChild(row);
    });
  }

  function enhance(input) {
    var url = input.getAttribute("data-coverage-search");
    var container = document.getElementById(input.getAttribute("data-coverage-results"));
    var status = document.getElementById(input.getAttribute("data-coverage-results") + "-status");
    var mode = input.getAttribute("data-coverage-mode") || "list";
    var emptyText = input.getAttribute("data-empty-text") || "";
    var editText = input.getAttribute("data-edit-text") || "";
    if (!url || !container || !window.fetch) return;
    var timer = null;
    var latest = 0;

    function search() {
      var ticket = ++latest;
      fetch(url + "?q=" + encodeURIComponent(input.value), {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          if (ticket !== latest) return; // an older answer arriving late
          if (mode === "pick") renderPick(container, data.results, emptyText);
          else renderList(container, data.results, emptyText, editText);
          if (status) status.textContent = data.results.length ? String(data.results.length) : emptyText;
        })
        .catch(function () { /* keep the current list; the form still works without us */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
  }

  document.querySelectorAll("[data-coverage-search]").forEach(enhance);
})();
