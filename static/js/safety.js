// The panic button of the field pages (tombol darurat).
//
// Confirm without a dialog: hold the button 1.5 s, or tap it twice within 5 s. The press is
// given a UUID (its idempotency key) and the phone's time at once, then the location is
// asked for (at most 6 s; a fix from the last minute is used at once), and the press is kept
// in this phone's IndexedDB until the server has it: sent now, and while any field page is
// open every 5 s and whenever the network comes back. A resend of the same key is answered
// with the first press, so nothing is raised twice. Presses are tagged with the person:
// another person signing in on the phone never sends them. No inline script; the texts come
// from the data- attributes of the panel.
(function () {
  "use strict";

  const panel = document.querySelector("[data-panic]");
  if (!panel) return;
  const button = panel.querySelector("[data-panic-button]");
  const state = panel.querySelector("[data-panic-state]");
  const text = panel.dataset;
  const USER = text.panicUser;
  const HOLD_MS = 1500;
  const TAP_MS = 5000;
  const RETRY_MS = 5000;
  const DB_NAME = "posko-safety";
  const STORE = "panic";
  let memory = [];  // without IndexedDB: kept while the page is open
  let sending = false;

  const uuid = window.keyedStore.uuid;

  // --- the queue ---------------------------------------------------------------------------
  const withStore = window.keyedStore(DB_NAME, STORE).withStore;
  function keep(press) {
    return withStore("readwrite", function (s) { return s.put(press); })
      .catch(function () { memory.push(press); });
  }
  function drop(key) {
    memory = memory.filter(function (p) { return p.key !== key; });
    return withStore("readwrite", function (s) { return s.delete(key); }).catch(function () {});
  }
  function waiting() {
    return withStore("readonly", function (s) { return s.getAll(); })
      .catch(function () { return []; })
      .then(function (stored) {
        return (stored || []).concat(memory).filter(function (p) { return p.user === USER; });
      });
  }

  // --- telling the officer -------------------------------------------------------------------
  function say(message, kind) {
    state.textContent = message;
    panel.classList.toggle("panic-sent", kind === "sent");
    panel.classList.toggle("panic-waiting", kind === "waiting");
  }
  function where(answer) {
    return answer.with_location ? text.textLocation.replace("%(m)s", String(answer.accuracy))
      : text.textNoLocation;
  }

  // --- sending ---------------------------------------------------------------------------
  function csrfToken() {
    const field = panel.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function send(press) {
    const body = { client_key: press.key, device_time: press.device_time };
    if (press.latitude !== undefined) {
      body.latitude = press.latitude;
      body.longitude = press.longitude;
      body.accuracy_m = press.accuracy_m;
    }
    return fetch(text.panicUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.status === 200 || response.status === 201) {
          answer.accuracy = press.accuracy_m;
          const again = answer.duplicate ? text.textAgain : text.textSent;
          say(again + ", " + answer.received_local + " · " + where(answer), "sent");
          return drop(press.key).then(function () { return "next"; });
        }
        if (response.status === 429) {
          say(text.textBusy, "sent");
          return drop(press.key).then(function () { return "next"; });
        }
        if (response.type === "opaqueredirect" || response.status === 401 ||
            response.status === 403) {
          say(text.textLogin, "waiting");
          return "stop";  // kept: sent once the person is signed in again
        }
        if (response.status >= 400 && response.status < 500) {
          say(text.textRefused + ": " + (answer.detail || response.status), "");
          return drop(press.key).then(function () { return "next"; });
        }
        say(text.textQueued, "waiting");
        return "stop";
      });
    }, function () {
      say(text.textQueued, "waiting");
      return "stop";
    });
  }

  function flush() {
    if (sending) return Promise.resolve();
    sending = true;
    return waiting().then(function (presses) {
      let chain = Promise.resolve("next");
      presses.sort(function (a, b) { return a.device_time < b.device_time ? -1 : 1; })
        .forEach(function (press) {
          chain = chain.then(function (r) { return r === "stop" ? "stop" : send(press); });
        });
      return chain;
    }).catch(function () {}).then(function () { sending = false; });
  }

  // --- the press -----------------------------------------------------------------------------
  let lastFix = null;
  function locate() {
    return new Promise(function (resolve) {
      if (lastFix && Date.now() - lastFix.timestamp < 60000) { resolve(lastFix); return; }
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        lastFix = position;
        resolve(position);
      }, function () { resolve(null); },
      { enableHighAccuracy: true, timeout: 6000, maximumAge: 60000 });
    });
  }

  function fire() {
    const press = { key: uuid(), user: USER, device_time: new Date().toISOString() };
    say(text.textSending, "waiting");
    return locate().then(function (position) {
      if (position) {
        press.latitude = Number(position.coords.latitude.toFixed(6));
        press.longitude = Number(position.coords.longitude.toFixed(6));
        press.accuracy_m = Math.round(position.coords.accuracy);
      }
      return keep(press);
    }).then(flush);
  }

  let holdTimer = null;
  let held = false;
  let firstTap = 0;
  function startHold(event) {
    if (event.button !== undefined && event.button !== 0) return;
    held = false;
    button.classList.add("holding");
    say(text.textHold, "");
    holdTimer = window.setTimeout(function () {
      holdTimer = null;
      held = true;
      firstTap = 0;
      button.classList.remove("holding");
      fire();
    }, HOLD_MS);
  }
  function endHold() {
    button.classList.remove("holding");
    if (holdTimer) {
      window.clearTimeout(holdTimer);
      holdTimer = null;
    }
  }
  button.addEventListener("pointerdown", startHold);
  ["pointerup", "pointerleave", "pointercancel"].forEach(function (name) {
    button.addEventListener(name, endHold);
  });
  button.addEventListener("contextmenu", function (event) { event.preventDefault(); });
  button.addEventListener("click", function () {
    if (held) { held = false; return; }  // the release of a completed hold
    const now = Date.now();
    if (firstTap && now - firstTap <= TAP_MS) {
      firstTap = 0;
      fire();
      return;
    }
    firstTap = now;
    say(text.textTap, "");
  });

  window.addEventListener("online", flush);
  window.setInterval(flush, RETRY_MS);
  flush();
})();
