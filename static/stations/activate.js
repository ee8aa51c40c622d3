/* Activation page: a label's QR link carries the security code in the URL fragment (#code=…), which
   browsers never send to a server, so it stays out of every access log. This script fills the code in,
   then removes the fragment from the address bar and the history. Typing the code by hand needs no script. */
(function () {
  "use strict";
  if (!window.location.hash) return;
  var params = new URLSearchParams(window.location.hash.slice(1));
  var code = params.get("code");
  var field = document.getElementById("id_security_code");
  if (code === null || !field) return;
  if (!field.value) field.value = code;
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var stationId = document.getElementById("id_station_id");
  var button = document.querySelector('[data-testid="activate-button"]');
  // Both fields filled: the next step is to press Activate.
  if (stationId && stationId.value && button) button.focus();
})();
