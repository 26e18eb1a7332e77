// The portal's only script, loaded from 'self' so the Content-Security-Policy needs no
// 'unsafe-inline': a form with data-confirm="…" asks before it is sent.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form && form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
