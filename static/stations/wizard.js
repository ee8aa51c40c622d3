/* Import wizard: focus the error summary when no field took focus, and live power / line-voltage warning.
   The server computes both (stations:import_preview); this script only asks, so the rule lives once.
   Everything works without it. */
(function () {
  "use strict";
  var form = document.getElementById("wizard-form");
  if (!form) return;

  var summary = document.getElementById("error-summary");
  if (summary && !document.querySelector("[autofocus]")) summary.focus();

  var url = form.getAttribute("data-preview-url");
  var timers = new WeakMap();
  var latest = new WeakMap();

  function value(item, name) {
    var field = item.querySelector('[data-spec-field="' + name + '"]');
    return field ? field.value : "";
  }

  function refresh(item) {
    var query = new URLSearchParams({
      power_type: value(item, "power_type"),
      voltage: value(item, "voltage"),
      amperage: value(item, "amperage"),
      max_power: value(item, "max_power"),
    });
    var ticket = (latest.get(item) || 0) + 1;
    latest.set(item, ticket);
    fetch(url + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || latest.get(item) !== ticket) return; // an older answer arriving late
        item.querySelector("[data-power]").textContent = data.power || "–";
        var warning = item.querySelector("[data-warning]");
        warning.querySelector("[data-warning-text]").textContent = data.warning;
        warning.hidden = !data.warning;
      })
      .catch(function () { /* offline: the server shows power and warning on the next step anyway */ });
  }

  function schedule(event) {
    if (!event.target.matches("[data-spec-field]")) return;
    var item = event.target.closest("[data-connector-item]");
    if (!item) return;
    clearTimeout(timers.get(item));
    timers.set(item, setTimeout(function () { refresh(item); }, 150));
  }

  if (url) {
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }

  // Generate: a code from the server (stations:generate_code, so the rule lives once), filled in place.
  // Without an answer the button does what it does without this script: it submits the step.
  var codeUrl = form.getAttribute("data-generate-code-url");
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-generate-code]");
    if (!button || !codeUrl || button.hasAttribute("data-submitting")) return;
    event.preventDefault();
    var field = document.getElementById(button.getAttribute("aria-controls"));
    fetch(codeUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
      .then(function (data) {
        field.value = data.code;
        field.dispatchEvent(new Event("input", { bubbles: true }));
        // The field, not the button: a screen reader reads the new code out with its label.
        field.focus();
        field.select();
      })
      .catch(function () {
        button.setAttribute("data-submitting", "");
        if (form.requestSubmit) form.requestSubmit(button); else button.click();
      });
  });
})();
