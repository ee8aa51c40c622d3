/* One colour-mode setting for the product and the Django admin.
 *
 * Loaded in <head> without defer so the mode is set before the first paint. The choice lives in
 * localStorage["theme"] as "auto" / "light" / "dark", the key and values of the admin's own theme.js,
 * so both halves of the application share it. Bootstrap reads data-bs-theme (resolved to light/dark);
 * the admin reads data-theme (the mode itself). Without JavaScript neither attribute is set and
 * brand.css follows prefers-color-scheme.
 */
"use strict";
(function () {
  var MODES = ["auto", "light", "dark"];
  var LABELS = { auto: "Theme: follows the system", light: "Theme: light", dark: "Theme: dark" };
  var systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  function storedMode() {
    var mode = null;
    try { mode = localStorage.getItem("theme"); } catch (e) { /* storage blocked: follow the system */ }
    return MODES.indexOf(mode) >= 0 ? mode : "auto";
  }

  function resolved(mode) {
    return mode === "auto" ? (systemDark.matches ? "dark" : "light") : mode;
  }

  function apply(mode) {
    var root = document.documentElement;
    root.setAttribute("data-bs-theme", resolved(mode));
    root.setAttribute("data-theme", mode);
    var buttons = document.querySelectorAll(".theme-toggle");
    for (var i = 0; i < buttons.length; i++) {
      var label = LABELS[mode] + " (change)";
      buttons[i].setAttribute("aria-label", label);
      buttons[i].setAttribute("title", label);
      buttons[i].setAttribute("data-mode", mode);
      buttons[i].hidden = false;
    }
  }

  // The admin's cycle: from auto, first to the opposite of what the system shows, then the other, then auto.
  function next(mode) {
    var order = systemDark.matches ? ["auto", "light", "dark"] : ["auto", "dark", "light"];
    return order[(order.indexOf(mode) + 1) % order.length];
  }

  function cycle() {
    var mode = next(storedMode());
    try { localStorage.setItem("theme", mode); } catch (e) { /* the choice lasts this page only */ }
    apply(mode);
  }

  apply(storedMode());
  systemDark.addEventListener("change", function () { apply(storedMode()); });
  document.addEventListener("DOMContentLoaded", function () {
    apply(storedMode());
    var buttons = document.querySelectorAll(".theme-toggle");
    for (var i = 0; i < buttons.length; i++) { buttons[i].addEventListener("click", cycle); }
  });
})();
