// The one websocket client of the portal: camera tiles and live alerts.
// Frames arrive as binary messages (4-byte camera id, 8-byte capture time, JPEG); each shown
// frame is acknowledged so the server sends only the newest one to a slow screen. Where the
// server allows it (no privacy mask applies to this viewer) and the browser plays the camera's
// codec through Media Source Extensions, a tile plays the camera's own video instead: the
// same binary header followed by fragmented MP4 (an init segment with the first fragment,
// then a fragment per frame), in a muted <video>; otherwise, or when the server downgrades it
// (a mask was drawn, access changed), the tile shows snapshots. Alerts
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
      at: null, url: null, video: null,
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
      tiles.forEach((tile) => stopVideo(tile));
      if (tiles.size) {
        send({ action: "subscribe", cameras: Array.from(tiles.keys()), passthrough: canPlayVideo });
      }
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
    if (buffer.byteLength > 13 && !(view.getUint8(12) === 0xff && view.getUint8(13) === 0xd8)) {
      // Not a JPEG: a fragment of the camera's own video.
      if (!tile.video) return;
      tile.video.queue.push(buffer.slice(12));
      tile.at = at;
      tile.el.dataset.frameAt = String(at);
      pump(tile);
      return;
    }
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
      stopVideo(tile);
      note(tile, text("Revoked"));
      tile.img.removeAttribute("src");
    } else if (message.type === "passthrough" && tile) {
      clearTimeout(tile.videoWait);
      if (!message.granted) {
        stopVideo(tile); // refused or downgraded: snapshots
      } else {
        // The video starts at the camera's next keyframe; a camera whose video never comes
        // (its packets cannot be passed through) is watched by snapshots instead.
        tile.videoWait = setTimeout(() => { if (!tile.video) fallBack(tile); }, VIDEO_WAIT);
      }
    } else if (message.type === "video" && tile) {
      startVideo(tile, message.codec);
    } else if (message.type === "status" && tile && tile.status) {
      const state = message.tamper ? "tampered" : message.state;
      tile.status.className = "cam-status cam-" + state;
      tile.status.textContent = message.label || state;
    } else if (message.type === "alert") {
      showAlert(message);
    }
  }

  // --- passthrough video (Media Source Extensions) ---------------------------------------------
  const LIVE_LAG = 1.5; // seconds behind the newest frame before jumping to it
  const KEEP = 6; // seconds of played video kept in the buffer
  const VIDEO_WAIT = 10000; // ms for a granted camera's first keyframe
  const canPlayVideo = Boolean(window.MediaSource) &&
    MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"');

  function startVideo(tile, codec) {
    stopVideo(tile);
    const type = 'video/mp4; codecs="' + codec + '"';
    if (!canPlayVideo || !codec || !MediaSource.isTypeSupported(type)) {
      send({ action: "snapshots", cameras: [Number(tile.el.dataset.camera)] });
      return;
    }
    const video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("muted", "");
    video.setAttribute("playsinline", "");
    video.dataset.video = "";
    video.hidden = true; // the last snapshot stays until the video plays
    const source = new MediaSource();
    const state = { video: video, source: source, buffer: null, queue: [] };
    tile.video = state;
    video.src = URL.createObjectURL(source);
    source.addEventListener("sourceopen", () => {
      URL.revokeObjectURL(video.src);
      try {
        state.buffer = source.addSourceBuffer(type);
      } catch (error) { fallBack(tile); return; }
      state.buffer.addEventListener("updateend", () => pump(tile));
      state.buffer.addEventListener("error", () => fallBack(tile));
      pump(tile);
    }, { once: true });
    video.addEventListener("playing", () => {
      if (tile.video !== state) return;
      video.hidden = false;
      tile.img.hidden = true;
    });
    video.addEventListener("error", () => { if (tile.video === state) fallBack(tile); });
    tile.img.after(video);
  }

  function pump(tile) {
    const state = tile.video;
    if (!state || !state.buffer || state.buffer.updating) return;
    const video = state.video;
    const ranges = state.buffer.buffered;
    if (ranges.length) {
      const last = ranges.length - 1;
      // Behind the live edge (a busy tab, a group of pictures the server skipped): jump.
      if (video.currentTime < ranges.start(last) ||
          ranges.end(last) - video.currentTime > LIVE_LAG) {
        video.currentTime = Math.max(ranges.start(last), ranges.end(last) - 0.2);
      }
      if (video.paused) video.play().catch(() => {});
    }
    try {
      if (state.queue.length) {
        state.buffer.appendBuffer(state.queue.shift());
      } else if (ranges.length && video.currentTime - ranges.start(0) > 2 * KEEP) {
        state.buffer.remove(0, video.currentTime - KEEP); // keep the buffer small
      }
    } catch (error) { fallBack(tile); }
  }

  function fallBack(tile) {
    stopVideo(tile);
    send({ action: "snapshots", cameras: [Number(tile.el.dataset.camera)] });
  }

  function stopVideo(tile) {
    const state = tile.video;
    if (!state) return;
    tile.video = null;
    state.video.removeAttribute("src");
    state.video.remove();
    tile.img.hidden = false;
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
    // On the review list an open alert can be checked for acknowledging with others.
    let checkbox = item.querySelector('input[name="alert"]');
    const bulk = alertList.closest("[data-bulk]");
    if (!checkbox && bulk && bulk.querySelector("[data-check-all]")) {
      checkbox = document.createElement("input");
      checkbox.type = "checkbox";
      checkbox.name = "alert";
      checkbox.value = String(alert.id);
    }
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
    item.append(badge, link, facts);
    if (alert.escalated) {
      const escalated = document.createElement("span");
      escalated.className = "badge";
      escalated.textContent = text("Escalated");
      item.append(escalated);
    }
    item.append(state);
    if (checkbox && alert.state === "open") item.prepend(checkbox);
    if (alert.camera_id) item.dataset.alertCamera = String(alert.camera_id);
    item.dataset.state = alert.state;
    if (alert.state === "resolved") item.classList.add("is-resolved");
    if (isNew && !quiet && alert.severity >= 3 && alert.state === "open") {
      item.dataset.sounded = "true";
      notify(alert);
    }
    alarm(alert, item);
  }

  // --- alarms: what arrives open stays in front and sounds until someone acknowledges it ---
  // An alert that arrives (or changes) while open brings its camera's tile forward, or marks
  // it in the list when its camera is not on the wall; a high one sounds every few seconds,
  // an escalated one with its own pattern. Acknowledged or resolved, by anyone: it stops.
  const alarms = new Map(); // alert id -> {tile, item, loud, escalated}
  const soundControl = root.querySelector("[data-sound-control]");
  const PATTERNS = { // [frequency Hz, start s, length s]
    alarm: { wave: "sine", notes: [[880, 0, 0.2], [880, 0.35, 0.2]] },
    escalated: { wave: "square", notes: [[660, 0, 0.15], [990, 0.18, 0.15], [1320, 0.36, 0.3],
      [660, 0.8, 0.15], [990, 0.98, 0.15], [1320, 1.16, 0.3]] },
  };
  let audio = null;
  let soundTimer = null;

  function alarm(alert, item) {
    const before = alarms.get(alert.id);
    if (before) {
      if (before.tile) before.tile.el.classList.remove("is-alarm", "is-escalated");
      before.item.classList.remove("is-alarm", "is-escalated");
      alarms.delete(alert.id);
    }
    if (alert.state === "open") {
      const tile = alert.camera_id ? tiles.get(alert.camera_id) : null;
      const entry = { tile: tile, item: item, loud: alert.severity >= 3,
        escalated: Boolean(alert.escalated) };
      const classes = entry.escalated ? ["is-alarm", "is-escalated"] : ["is-alarm"];
      if (tile) tile.el.classList.add(...classes);
      item.classList.add(...classes);
      alarms.set(alert.id, entry);
    }
    updateSound();
  }

  function updateSound() {
    const loud = Array.from(alarms.values()).filter((entry) => entry.loud);
    const pattern = !loud.length ? "" : loud.some((e) => e.escalated) ? "escalated" : "alarm";
    if (root.dataset.alarm === pattern) return;
    root.dataset.alarm = pattern;
    clearInterval(soundTimer);
    soundTimer = null;
    if (!pattern) { if (soundControl) soundControl.hidden = true; return; }
    sound();
    soundTimer = setInterval(sound, pattern === "escalated" ? 3000 : 5000);
  }

  function sound() {
    const pattern = PATTERNS[root.dataset.alarm];
    if (!pattern) return;
    try {
      audio = audio || new AudioContext();
    } catch (error) { return; } /* sound is a courtesy; the list and the tiles are the record */
    // Browsers keep sound off until the person has interacted with the page: say so.
    if (audio.state !== "running") {
      audio.resume().catch(() => {});
      if (soundControl) soundControl.hidden = false;
      return;
    }
    if (soundControl) soundControl.hidden = true;
    root.dataset.sounds = String(Number(root.dataset.sounds || 0) + 1);
    const start = audio.currentTime;
    pattern.notes.forEach(([frequency, at, length]) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = pattern.wave;
      tone.frequency.value = frequency;
      gain.gain.value = 0.15;
      tone.connect(gain).connect(audio.destination);
      tone.start(start + at);
      tone.stop(start + at + length);
    });
  }

  function unlockSound() {
    try {
      audio = audio || new AudioContext();
      audio.resume().then(() => {
        if (soundControl) soundControl.hidden = true;
        if (root.dataset.alarm) sound();
      }).catch(() => {});
    } catch (error) { /* no WebAudio: nothing to unlock */ }
  }
  ["pointerdown", "keydown"].forEach((name) =>
    document.addEventListener(name, unlockSound, { once: true, capture: true }));
  if (soundControl) soundControl.addEventListener("click", unlockSound);

  root.querySelectorAll("[data-check-all]").forEach((all) => {
    all.addEventListener("change", () => {
      all.form.querySelectorAll('input[name="alert"]').forEach((box) => {
        box.checked = all.checked;
      });
    });
  });

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
