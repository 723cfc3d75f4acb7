// The one websocket client of the portal: camera tiles and live alerts.
// Frames arrive as binary messages (4-byte camera id, 8-byte capture time, JPEG); each shown
// frame is acknowledged so the server sends only the newest one to a slow screen. Alerts
// arrive as JSON; after any reconnect the page asks the server for what it missed since the
// last sequence number it saw, so a lost push is never a lost alert.
(function () {
  "use strict";
  const root = document.querySelector("[data-live]");
  if (!root) return;
  const text = (name) => root.dataset["text" + name] || "";
  const tiles = new Map();
  root.querySelectorAll("[data-camera]").forEach((tile) => {
    tiles.set(Number(tile.dataset.camera), {
      el: tile, img: tile.querySelector("[data-frame]"), age: tile.querySelector("[data-age]"),
      note: tile.querySelector("[data-note]"), status: tile.querySelector(".cam-status"),
      at: null, url: null,
    });
  });
  const banner = root.querySelector("[data-conn-banner]");
  const alertList = root.querySelector("[data-alerts]");
  let lastSeq = Number((alertList && alertList.dataset.maxSeq) || 0);
  let socket = null;
  let retry = 0;

  function wsUrl() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return scheme + "://" + location.host + root.dataset.wsPath;
  }

  function showBanner(message) {
    if (!banner) return;
    banner.textContent = message;
    banner.hidden = !message;
  }

  function connect() {
    socket = new WebSocket(wsUrl());
    socket.binaryType = "arraybuffer";
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      retry = 0;
      showBanner("");
      if (tiles.size) send({ action: "subscribe", cameras: Array.from(tiles.keys()) });
      resync();
    });
    socket.addEventListener("message", (event) => {
      if (typeof event.data === "string") onJson(JSON.parse(event.data));
      else onFrame(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) { location.href = root.dataset.loginUrl; return; }
      // Closed before it opened, from an origin the server does not accept: say so, instead
      // of reconnecting forever in silence (the server logs it and /healthz names it too).
      const refused = !opened && root.dataset.originAllowed === "false";
      showBanner(text(refused ? "OriginRefused" : "Reconnecting"));
      root.classList.add("is-reconnecting");
      const delay = Math.min(15000, 1000 * Math.pow(2, retry++)) + Math.random() * 500;
      setTimeout(connect, delay);
    });
    socket.addEventListener("open", () => root.classList.remove("is-reconnecting"));
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function onFrame(buffer) {
    const view = new DataView(buffer);
    const id = view.getUint32(0);
    const at = view.getFloat64(4);
    const tile = tiles.get(id);
    if (!tile) return;
    const url = URL.createObjectURL(new Blob([buffer.slice(12)], { type: "image/jpeg" }));
    tile.img.onload = () => {
      if (tile.url) URL.revokeObjectURL(tile.url);
      tile.url = url;
      tile.at = at;
      tile.el.dataset.frameAt = String(at);
      send({ action: "ack", camera: id });
    };
    tile.img.onerror = () => send({ action: "ack", camera: id });
    tile.img.src = url;
  }

  function onJson(message) {
    const tile = tiles.get(message.camera);
    if (message.type === "error" && message.code === "denied" && tile) {
      note(tile, text("Denied"));
    } else if (message.type === "revoked" && tile) {
      note(tile, text("Revoked"));
      tile.img.removeAttribute("src");
    } else if (message.type === "status" && tile && tile.status) {
      const state = message.tamper ? "tampered" : message.state;
      tile.status.className = "cam-status cam-" + state;
      tile.status.textContent = message.label || state;
    } else if (message.type === "alert") {
      showAlert(message);
    }
  }

  function note(tile, message) {
    if (!tile.note) return;
    tile.note.textContent = message;
    tile.note.hidden = false;
  }

  function resync() {
    if (!alertList) return;
    fetch(root.dataset.sinceUrl.replace(/0\/$/, lastSeq + "/"), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { alerts: [] }))
      .then((data) => data.alerts.forEach((alert) => showAlert(alert, true)))
      .catch(() => {});
  }

  function showAlert(alert, quiet) {
    if (!alertList || alert.seq <= 0) return;
    lastSeq = Math.max(lastSeq, alert.seq);
    let item = alertList.querySelector('[data-alert-id="' + alert.id + '"]');
    const isNew = !item;
    if (isNew) {
      item = document.createElement("li");
      item.dataset.alertId = String(alert.id);
      alertList.prepend(item);
      const empty = alertList.querySelector(".empty");
      if (empty) empty.remove();
    }
    const severity = ["", "low", "medium", "high", "critical"][alert.severity] || "low";
    item.className = "alert-item sev-" + severity + (isNew ? " is-new" : "");
    item.replaceChildren();
    const badge = document.createElement("span");
    badge.className = "sev-badge";
    badge.textContent = alert.severity_label || severity;
    const link = document.createElement("a");
    link.href = alert.url || "#";
    link.textContent = alert.title;
    const facts = document.createElement("span");
    facts.className = "muted";
    facts.textContent = alert.facility + (alert.occurrences > 1 ? " · ×" + alert.occurrences : "");
    const state = document.createElement("span");
    state.className = "state state-" + alert.state;
    state.textContent = alert.state_label || alert.state;
    item.append(badge, link, facts, state);
    if (alert.state === "resolved") item.classList.add("is-resolved");
    if (isNew && !quiet && alert.severity >= 3 && alert.state === "open") {
      item.dataset.sounded = "true";
      beep();
      notify(alert);
    }
  }

  let audio = null;
  function beep() {
    try {
      audio = audio || new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.15;
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (error) { /* sound is a courtesy; the list is the record */ }
  }

  function notify(alert) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    new Notification(alert.title, { body: alert.facility, tag: "posko-alert-" + alert.id });
  }

  root.querySelectorAll("[data-enable-notifications]").forEach((button) => {
    if (!("Notification" in window) || Notification.permission === "granted") {
      button.hidden = true;
      return;
    }
    button.addEventListener("click", () => {
      Notification.requestPermission().then(() => { button.hidden = true; });
    });
  });

  setInterval(() => {
    const now = Date.now() / 1000;
    tiles.forEach((tile) => {
      if (!tile.age) return;
      tile.age.textContent = tile.at ? Math.max(0, Math.round(now - tile.at)) + " " + text("Ago")
        : text("NoFrame");
    });
  }, 1000);

  connect();
})();
