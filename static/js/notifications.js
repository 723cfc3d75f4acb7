// Turning notifications on for this device (templates/notifications/devices.html): the
// site's service worker (/sw.js, which shows the notifications) subscribes with the portal's
// public VAPID key, and the subscription goes to the portal with the session and CSRF token.
"use strict";
(function () {
  const panel = document.querySelector("[data-push]");
  if (!panel) return;
  const button = panel.querySelector("[data-push-on]");
  const status = panel.querySelector("[data-push-status]");
  if (!button) return;
  const say = function (text) { if (status) status.textContent = text; };

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    button.disabled = true;
    say(panel.dataset.textUnsupported);
    return;
  }

  function keyBytes(base64url) {
    const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
    const raw = window.atob(padded);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function csrfToken() {
    const input = panel.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("denied");
      return navigator.serviceWorker.register(panel.dataset.swUrl, { scope: "/" });
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return registration.pushManager.getSubscription().then(function (existing) {
        return existing || registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(panel.dataset.pushKey),
        });
      });
    }).then(function (subscription) {
      return fetch(panel.dataset.pushUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(subscription.toJSON()),
      });
    }).then(function (response) {
      if (!response.ok) throw new Error("refused");
      say(panel.dataset.textOn);
      window.location.reload();
    }).catch(function (error) {
      button.disabled = false;
      say(error && error.message === "denied" ? panel.dataset.textDenied : panel.dataset.textFailed);
    });
  });
})();
