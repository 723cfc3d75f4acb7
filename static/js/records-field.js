// Field pages on a phone (patrol visits, incident reports, warehouse checks).
//
// - The outbox: a form marked `js-outbox` is not posted directly. The entry (with its photos)
//   is saved in this phone's IndexedDB with a fresh UUID as its idempotency key and the
//   phone's clock as device time, then sent when there is a network: visits to the API
//   (/api/sync/patrol-visits/), incidents and checks as their form. The server answers a
//   resend of the same key with the record it already has, so nothing is ever duplicated.
//   Entries are tagged with the person: another person logging in on the phone never sends
//   them. What is still waiting is listed on the page.
// - The QR scanner: the browser's BarcodeDetector when it exists; typing the label's code
//   works everywhere. A label URL opened by the phone's own camera app fills the token in.
// - The service worker (served at /sw.js) keeps the field pages available offline.
// No inline script and no library: the strings come from data- attributes of the page.
(function () {
  "use strict";

  const panel = document.querySelector("[data-outbox]");
  const text = panel ? panel.dataset : {};
  const USER = panel ? panel.dataset.outboxUser : "";
  const DB_NAME = "posko-field";
  const STORE = "outbox";
  const RETRY_MS = 15000;
  const sent = [];
  let flushing = false;
  let sentSinceRefresh = false;

  const uuid = window.keyedStore.uuid;

  // --- the outbox (static/js/keyed-store.js) ------------------------------------------------
  const withStore = window.keyedStore(DB_NAME, STORE).withStore;
  function put(entry) { return withStore("readwrite", function (s) { return s.put(entry); }); }
  function remove(key) { return withStore("readwrite", function (s) { return s.delete(key); }); }
  function mine() {
    return withStore("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (e) { return e.user === USER; })
        .sort(function (a, b) { return a.created < b.created ? -1 : 1; });
    });
  }

  // --- rendering ---------------------------------------------------------------------------
  function setStatus(message) {
    const status = document.querySelector("[data-outbox-status]");
    if (status) status.textContent = message;
  }

  function item(label, detail, className) {
    const li = document.createElement("li");
    li.className = className || "";
    const strong = document.createElement("strong");
    strong.textContent = label;
    li.appendChild(strong);
    if (detail) {
      li.appendChild(document.createElement("br"));
      const span = document.createElement("span");
      span.className = "muted";
      span.textContent = detail;
      li.appendChild(span);
    }
    return li;
  }

  function render() {
    if (!panel) return Promise.resolve();
    return mine().then(function (entries) {
      const list = panel.querySelector("[data-outbox-list]");
      list.replaceChildren();
      entries.forEach(function (entry) {
        const refused = entry.state === "refused";
        const li = item(entry.label, refused ? text.textRefused + ": " + entry.error
          : text.textWaiting, refused ? "outbox-refused" : "outbox-waiting");
        li.dataset.outboxKey = entry.key;
        if (refused) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "link-button";
          button.textContent = text.textRemove;
          button.addEventListener("click", function () { remove(entry.key).then(render); });
          li.appendChild(button);
        }
        list.appendChild(li);
      });
      const waiting = entries.filter(function (e) { return e.state !== "refused"; }).length;
      const badge = panel.querySelector("[data-outbox-count]");
      badge.textContent = String(waiting);
      badge.classList.toggle("zero", waiting === 0);
      const done = panel.querySelector("[data-outbox-sent]");
      if (sent.length) {
        done.replaceChildren();
        sent.slice(-10).reverse().forEach(function (s) {
          done.appendChild(item(s.label, s.message, "outbox-done"));
        });
      }
    }).catch(function () { /* no IndexedDB: nothing to show */ });
  }

  // --- sending -----------------------------------------------------------------------------
  // Visits go to the API (their form names it in data-outbox-sync), up to 100 in one
  // request; a visit with photos goes on its own, as multipart. Incidents and checks are
  // posted as the forms they are, and their answer read as a browser would: the record's page
  // after a redirect, or the form again with its errors.
  const MAX_SYNC = 100;
  const FINAL = [400, 409, 413, 422];  // refused for good; anything else is tried again later

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function done(entry, message) {
    sent.push({ label: entry.label, message: message || text.textSent });
    sentSinceRefresh = true;
    return remove(entry.key);
  }

  function refuse(entry, error) {
    entry.state = "refused";
    entry.error = error;
    return put(entry);
  }

  function hasFiles(entry) {
    return entry.fields.some(function (pair) { return pair[1] instanceof Blob; });
  }

  // Entries queued before visits went to the API carry only their form's address.
  function syncUrl(entry) {
    if (entry.sync) return entry.sync;
    const form = Array.from(document.querySelectorAll("form[data-outbox-sync]")).find(
      function (f) { return f.action === entry.url; });
    return form ? form.dataset.outboxSync : "";
  }

  // The form's fields as the API's visit: numbers as numbers, blank fields not sent.
  const NUMBERS = ["checkpoint", "patrol", "accuracy_m", "latitude", "longitude"];
  function visitOf(entry) {
    const visit = {};
    entry.fields.forEach(function (pair) {
      const name = pair[0];
      const value = pair[1];
      if (typeof value !== "string" || value === "") return;
      const number = Number(value);
      visit[name] = NUMBERS.indexOf(name) !== -1 && isFinite(number) ? number : value;
    });
    return visit;
  }

  // The API's error ({code, detail, errors: {field: [messages]}}) as one line.
  function errorText(error, status) {
    const messages = [];
    Object.keys((error && error.errors) || {}).forEach(function (field) {
      messages.push.apply(messages, error.errors[field]);
    });
    if (messages.length > 1) return messages.join(" ");
    return (error && error.detail) || messages[0] || String(status);
  }

  function sendVisits(batch) {
    const visits = batch.map(visitOf);
    const headers = { "X-CSRFToken": csrfToken(), "Accept": "application/json" };
    let body;
    if (batch.some(hasFiles)) {
      body = new FormData();
      body.append("visits", JSON.stringify(visits));
      batch.forEach(function (entry, index) {
        entry.fields.forEach(function (pair) {
          if (pair[1] instanceof Blob) body.append("photos." + index, pair[1], pair[1].name || "photo");
        });
      });
    } else {
      body = JSON.stringify({ visits: visits });
      headers["Content-Type"] = "application/json";
    }
    return fetch(syncUrl(batch[0]), {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual", headers: headers,
    }).then(function (response) {
      // Not signed in any more, or the CSRF check failed: the session ended. Keep them.
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        setStatus(text.textLogin);
        return "stop";
      }
      return response.json().catch(function () { return {}; }).then(function (payload) {
        if (response.ok && Array.isArray(payload.results)) {
          return Promise.all(payload.results.map(function (result) {
            const entry = batch[result.index];
            if (!entry) return null;
            if (result.result === "rejected") return refuse(entry, errorText(result.error, result.status));
            return done(entry, result.result === "duplicate" ? text.textDuplicate : text.textSent);
          })).then(function () { return "next"; });
        }
        if (FINAL.indexOf(response.status) !== -1) {
          const error = errorText(payload, response.status);
          return Promise.all(batch.map(function (entry) { return refuse(entry, error); }))
            .then(function () { return "next"; });
        }
        setStatus(text.textRetry);
        return "stop";
      });
    }, function () {
      setStatus(text.textOffline);
      return "stop";
    });
  }

  // The errors a refused form shows (Django's error lists, after their field's label), or a
  // plain-text answer.
  function formErrors(response) {
    return response.text().then(function (body) {
      if ((response.headers.get("Content-Type") || "").indexOf("text/html") === -1) return body;
      const page = new DOMParser().parseFromString(body, "text/html");
      return Array.from(page.querySelectorAll("ul.errorlist"), function (list) {
        const label = list.previousElementSibling;
        const prefix = label && label.tagName === "LABEL" ? label.textContent.trim() + ": " : "";
        return Array.from(list.querySelectorAll("li"), function (li) {
          return prefix + li.textContent.trim();
        }).join(" ");
      }).join(" ");
    });
  }

  function sendForm(entry) {
    const body = new FormData();
    entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(entry.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      const landed = new URL(response.url, window.location.href).pathname;
      if (response.status === 403 || (response.redirected && landed === text.loginUrl)) {
        setStatus(text.textLogin);
        return "stop";
      }
      if (response.ok) return done(entry).then(function () { return "next"; });
      if (FINAL.indexOf(response.status) !== -1) {
        return formErrors(response).then(function (error) {
          return refuse(entry, error || String(response.status));
        }).then(function () { return "next"; });
      }
      setStatus(text.textRetry);
      return "stop";
    }, function () {
      setStatus(text.textOffline);
      return "stop";
    });
  }

  // In queue order: visits without photos together, everything else one by one.
  function batches(entries) {
    const out = [];
    entries.forEach(function (entry) {
      const last = out[out.length - 1];
      const together = syncUrl(entry) && !hasFiles(entry);
      if (together && last && last.together && last.entries.length < MAX_SYNC) {
        last.entries.push(entry);
      } else {
        out.push({ together: together, entries: [entry] });
      }
    });
    return out.map(function (batch) { return batch.entries; });
  }

  function send(batch) {
    return syncUrl(batch[0]) ? sendVisits(batch) : sendForm(batch[0]);
  }

  function flush() {
    if (!panel || flushing) return Promise.resolve();
    flushing = true;
    return mine().then(function (entries) {
      const waiting = entries.filter(function (e) { return e.state !== "refused"; });
      if (!navigator.onLine && waiting.length) {
        setStatus(text.textOffline);
        return;
      }
      let chain = Promise.resolve("next");
      batches(waiting).forEach(function (batch) {
        chain = chain.then(function (result) { return result === "stop" ? "stop" : send(batch); });
      });
      return chain.then(function (result) {
        if (result !== "stop") setStatus(navigator.onLine ? text.textOnline : text.textOffline);
      });
    }).catch(function () { /* keep the entries; try again later */ })
      .then(function () { flushing = false; return render(); })
      .then(refreshRecent);
  }

  // "My latest visits" (and any list marked data-refresh-after-send) is read again from the
  // server once something was sent, online at once or later from the queue.
  function refreshRecent() {
    const lists = document.querySelectorAll("[data-refresh-after-send]");
    if (!sentSinceRefresh || !lists.length) return;
    sentSinceRefresh = false;
    return fetch(window.location.pathname, {
      credentials: "same-origin", redirect: "manual", headers: { "Accept": "text/html" },
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      const fresh = new DOMParser().parseFromString(html, "text/html");
      lists.forEach(function (list) {
        const name = list.getAttribute("data-refresh-after-send");
        const replacement = fresh.querySelector('[data-refresh-after-send="' + name + '"]');
        if (replacement) list.replaceChildren.apply(list, Array.from(replacement.childNodes));
      });
    }).catch(function () { sentSinceRefresh = true; /* next flush tries again */ });
  }

  // --- queuing a form ----------------------------------------------------------------------
  function summary(form, data) {
    const parts = [form.dataset.outboxKind || ""];
    const code = data.get("code");
    const scanned = data.get("token") ? checkpointOf(String(data.get("token"))) : null;
    if (code) parts.push(text.textCode + " " + String(code).toUpperCase());
    else if (scanned && scanned.known) parts.push(scanned.label.name + " · " + scanned.label.facility);
    else if (scanned) parts.push(text.textQr);
    const facility = form.querySelector("select[name=facility]");
    if (facility && facility.selectedIndex > 0) parts.push(facility.options[facility.selectedIndex].text);
    parts.push(new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    return parts.filter(Boolean).join(" · ");
  }

  function queue(form) {
    const data = new FormData(form);
    const key = uuid();
    data.set("client_key", key);
    data.set("device_time", new Date().toISOString());
    const fields = [];
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      if (value instanceof File && !value.name && value.size === 0) return;  // no file chosen
      fields.push([name, value]);
    });
    const entry = {
      key: key, user: USER, url: form.action || window.location.href,
      sync: form.dataset.outboxSync || "", label: summary(form, data),
      created: new Date().toISOString(), fields: fields, state: "waiting", error: "",
    };
    return put(entry).then(function () {
      form.reset();
      clearScan(form);
      setStatus(text.textQueued);
      return render();
    }).then(flush);
  }

  document.querySelectorAll("form.js-outbox").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!panel || !window.indexedDB) return;  // no outbox here: an ordinary post
      event.preventDefault();
      fillLocation(form);
      queue(form).catch(function () { form.submit(); });
    });
  });

  // Plain forms still carry the phone's clock (the server keeps its own time beside it).
  document.querySelectorAll("form.js-device-time").forEach(function (form) {
    form.addEventListener("submit", function () {
      const field = form.querySelector("input[name=device_time]");
      if (field) field.value = new Date().toISOString();
    });
  });

  // --- location ----------------------------------------------------------------------------
  let lastFix = null;
  function watchLocation() {
    if (!document.querySelector("form.js-location") || !navigator.geolocation) return;
    const state = document.querySelector("[data-location-state]");
    const ask = function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        lastFix = position;
        if (state) state.textContent = "± " + Math.round(position.coords.accuracy) + " m";
      }, function () { lastFix = null; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    };
    ask();
    setInterval(function () { if (document.visibilityState === "visible") ask(); }, 60000);
  }
  function fillLocation(form) {
    if (!lastFix || Date.now() - lastFix.timestamp > 120000) return;
    const set = function (name, value) {
      const field = form.querySelector("input[name=" + name + "]");
      if (field) field.value = value;
    };
    set("latitude", lastFix.coords.latitude.toFixed(6));
    set("longitude", lastFix.coords.longitude.toFixed(6));
    set("accuracy_m", String(Math.round(lastFix.coords.accuracy)));
  }

  // --- QR scanning -------------------------------------------------------------------------
  function tokenFrom(value) {
    try {
      const url = new URL(value, window.location.href);
      if (url.searchParams.get("t")) return url.searchParams.get("t");
    } catch (error) { /* not a URL: the bare token */ }
    return value.trim();
  }

  // The checkpoints at hand this person may record at, by id (names only: no codes on the
  // page): those of the facilities chosen, planned or visited lately, and of a label opened
  // with the page; a city's others are "unlisted" here and checked when the visit is sent.
  const labelsElement = document.getElementById("checkpoint-labels");
  const checkpointLabels = labelsElement ? JSON.parse(labelsElement.textContent) : {};

  // A label's token is "<base64url JSON {c: id, v: version}>:<signature>". Reading the id
  // needs no key (checking the signature is the server's job, when the visit is sent), so
  // the scan names its checkpoint at once, offline too.
  function checkpointOf(token) {
    try {
      const data = token.split(":")[0].replace(/-/g, "+").replace(/_/g, "/");
      const payload = JSON.parse(atob(data + "===".slice((data.length + 3) % 4)));
      const label = checkpointLabels[String(payload.c)];
      if (!label) return { known: false, unlisted: Number.isInteger(payload.c) };
      return { known: true, current: label.version === payload.v, label: label };
    } catch (error) {
      return { known: false };
    }
  }

  // `checked`: the server already read this token with the page (a label opened by the
  // camera app) and listed its checkpoint if this person may record there.
  function setScan(form, token, checked) {
    const field = form.querySelector("input[name=token]");
    if (field) field.value = token;
    const state = form.querySelector("[data-scan-state]");
    if (!state) return;
    state.hidden = !token;
    if (!token) return;
    const found = checkpointOf(token);
    const name = state.querySelector("[data-scan-name]");
    const facility = state.querySelector("[data-scan-facility]");
    const note = state.querySelector("[data-scan-note]");
    if (!note.dataset.textNext) note.dataset.textNext = note.textContent;
    name.textContent = found.known ? found.label.name : "";
    facility.textContent = found.known ? "· " + found.label.facility : "";
    if (found.known) note.textContent = found.current ? note.dataset.textNext : state.dataset.textOld;
    else note.textContent = found.unlisted && !checked ? state.dataset.textUnlisted : state.dataset.textUnknown;
    state.classList.toggle("ok", found.known && found.current);
    state.classList.toggle("scan-warn", !(found.known && found.current));
  }
  function clearScan(form) {
    if (form.classList.contains("js-scan")) setScan(form, "");
  }

  document.querySelectorAll("form.js-scan").forEach(function (form) {
    const fromUrl = new URLSearchParams(window.location.search).get("t");
    if (fromUrl) {
      setScan(form, fromUrl, true);
      // Drop the token from the address bar and history: it opens this checkpoint.
      window.history.replaceState(null, "", window.location.pathname);
    }
    const clear = form.querySelector("[data-scan-clear]");
    if (clear) clear.addEventListener("click", function () { setScan(form, ""); });
    const start = form.querySelector("[data-scan-start]");
    const video = form.querySelector("[data-scan-video]");
    if (!start || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    // Offer the scanner only where the browser can read QR codes; typing always works.
    Promise.resolve(window.BarcodeDetector.getSupportedFormats ?
      window.BarcodeDetector.getSupportedFormats() : []).then(function (formats) {
      start.hidden = formats.indexOf("qr_code") === -1;
    }, function () { start.hidden = true; });
    start.addEventListener("click", function () {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        const stop = function () {
          stream.getTracks().forEach(function (track) { track.stop(); });
          video.hidden = true;
        };
        const deadline = Date.now() + 60000;
        const look = function () {
          if (Date.now() > deadline) { stop(); return; }
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stop();
              setScan(form, tokenFrom(codes[0].rawValue));
            } else {
              window.requestAnimationFrame(look);
            }
          }, function () { window.requestAnimationFrame(look); });
        };
        video.play().then(look);
      }, function () { start.hidden = true; });
    });
  });

  // --- service worker and start-up -----------------------------------------------------------
  if (panel && "serviceWorker" in navigator && panel.dataset.swUrl) {
    navigator.serviceWorker.register(panel.dataset.swUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      const urls = [window.location.pathname];
      document.querySelectorAll("link[rel=stylesheet], link[rel=icon], script[src]").forEach(function (el) {
        urls.push(el.href || el.src);
      });
      if (registration.active) registration.active.postMessage({ type: "cache", urls: urls });
    }).catch(function () { /* installable or not, the page works */ });
  }

  if (panel) {
    const button = panel.querySelector("[data-outbox-flush]");
    if (button) button.addEventListener("click", flush);
    window.addEventListener("online", flush);
    window.addEventListener("offline", function () { setStatus(text.textOffline); });
    setInterval(function () { if (document.visibilityState === "visible") flush(); }, RETRY_MS);
    render().then(flush);
  }
  watchLocation();
})();
