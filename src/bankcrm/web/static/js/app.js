/* Every page: say so when an htmx request fails. htmx swaps nothing for an error answer
   (403 after a session expired, 404, 409, 429, 5xx) or a lost connection, so without this
   a click would seem to do nothing. The words come translated from base.html's
   #page-alert data attributes; the alert is a live region, so screen readers read it. */
(function () {
  "use strict";

  function say(key) {
    var alert = document.getElementById("page-alert");
    if (!alert) {
      return;
    }
    alert.querySelector("[data-text]").textContent = alert.dataset[key] || alert.dataset.failed;
    alert.hidden = false;
  }

  function keyFor(status) {
    if (status === 403 || status === 401) {
      return "forbidden";
    }
    if (status === 404) {
      return "missing";
    }
    if (status === 409) {
      return "conflict";
    }
    if (status === 429) {
      return "throttled";
    }
    return "failed";
  }

  document.addEventListener("htmx:responseError", function (event) {
    say(keyFor(event.detail.xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    say("offline");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var alert = document.getElementById("page-alert");
    if (alert) {
      alert.hidden = true;
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-dismiss=page-alert]")) {
      document.getElementById("page-alert").hidden = true;
    }
  });
})();
