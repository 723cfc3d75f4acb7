// The main menu on a phone: folded behind one button so it does not take half the screen.
// Without this script the menu simply stays open (the button is hidden until it runs).
(function () {
  "use strict";
  var button = document.querySelector(".menu-button");
  var menu = document.getElementById("topbar-menu");
  if (!button || !menu) { return; }
  document.documentElement.classList.add("menu-folds");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("is-open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("is-open")) {
      button.setAttribute("aria-expanded", "false");
      menu.classList.remove("is-open");
      button.focus();
    }
  });
})();
