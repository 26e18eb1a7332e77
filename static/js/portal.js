// The portal's only script, loaded from 'self' so the Content-Security-Policy needs no
// 'unsafe-inline'. Every page works without it; it adds:
// - the menu button of the compact header (narrow screens),
// - a question before a form with data-confirm="…" is sent.
// It is loaded in <head> without defer: the class "js" is set before the first paint, so the
// collapsed menu never flashes open.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form && form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// The menu button: a real <button aria-expanded> that shows and hides the menu it controls.
// Escape closes the open menu and gives the focus back to the button.
function portalMenu() {
  var button = document.querySelector(".menu-toggle");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
}

document.addEventListener("DOMContentLoaded", function () {
  portalMenu();
});
