// Duty pages on a phone: sends the phone's own clock with check-in and check-out (the server
// keeps its own receive time too), and the location when the phone allows it. Without
// JavaScript the forms still work and the server's time is used. No inline script.
(function () {
  "use strict";
  function stamp(form) {
    const field = form.querySelector("input[name=device_time]");
    if (field) field.value = new Date().toISOString();
  }

  function setField(form, name, value) {
    const field = form.querySelector("input[name=" + name + "]");
    if (field) field.value = value;
  }

  document.querySelectorAll("form.js-device-time").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.ready === "1" || !form.classList.contains("js-location") ||
          !navigator.geolocation) {
        stamp(form);
        return;
      }
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      const send = function () {
        form.dataset.ready = "1";
        stamp(form);
        form.submit();
      };
      navigator.geolocation.getCurrentPosition(function (position) {
        setField(form, "latitude", position.coords.latitude.toFixed(6));
        setField(form, "longitude", position.coords.longitude.toFixed(6));
        setField(form, "accuracy_m", Math.round(position.coords.accuracy));
        send();
      }, send, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    });
  });
})();
