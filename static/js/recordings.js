// Recorded footage in the browser (templates/recordings/review.html): a day of one camera, or
// of a facility's cameras side by side, played from the segment files with the native video
// element (fragmented MP4, H.264: no player library needed).
//
// One clock drives every camera. While playing, the first camera with footage at the clock's
// time leads it (the clock is that video's own time, so a loading video holds the clock
// rather than running ahead of its picture); the other cameras follow, corrected when they
// drift. Where no camera has footage the clock jumps to the next recorded moment. Each camera
// has two video elements: the one shown and the next segment preloaded behind it (once the
// shown one plays), swapped at the segment's end. Masked footage comes in pieces of a few
// seconds (rendered on demand: a piece is quick to make, a segment is not), played just like
// segments.
(function () {
  "use strict";
  const root = document.querySelector("[data-review]");
  if (!root) return;
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const text = (name) => root.dataset["text" + name] || "";
  const dayStart = Date.parse(data.dayStart);
  const dayEnd = Date.parse(data.dayEnd);
  const SPEEDS = [0.5, 1, 2, 4, 8];
  // Segments closer than this are drawn as one recorded span.
  const JOIN_MS = 2000;
  // A following camera further than this from the clock (seconds of footage) is set right.
  const DRIFT_S = 0.4;
  const clockEl = root.querySelector("[data-clock]");
  const statusEl = root.querySelector("[data-status]");
  const HOUR = 3600000;
  const speedEl = root.querySelector("[data-speed]");
  const playButton = root.querySelector('[data-action="play"]');
  const timeOfDay = new Intl.DateTimeFormat("en-GB", {
    timeZone: data.timezone, hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23",
  });
  const state = { t: dayStart, playing: false, rate: 1 };
  let events = [];

  function Player(camera, el) {
    this.camera = camera;
    this.el = el;
    this.note = el.querySelector("[data-note]");
    [this.front, this.back] = el.querySelectorAll("[data-video]");
    this.segments = [];
    this.spans = [];
    this.markers = [];
    for (const video of [this.front, this.back]) {
      video.segment = -1;
      for (const name of ["ended", "playing", "seeked", "canplay", "waiting", "error"]) {
        video.addEventListener(name, () => { if (video === this.front) tick(); });
      }
    }
  }

  // The segment recorded at `t`, or -1.
  Player.prototype.indexAt = function (t) {
    const segments = this.segments;
    let low = 0, high = segments.length - 1, found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (segments[middle].start <= t) { found = middle; low = middle + 1; } else high = middle - 1;
    }
    return found >= 0 && t < segments[found].end ? found : -1;
  };

  Player.prototype.nextStart = function (t) {
    const next = this.segments.find((s) => s.start > t);
    return next ? next.start : Infinity;
  };

  // The footage time the shown video is at.
  Player.prototype.time = function () {
    const segment = this.segments[this.front.segment];
    return this.front.ended ? segment.end : segment.start + this.front.currentTime * 1000;
  };

  Player.prototype.ready = function (index) {
    const video = this.front;
    return video.segment === index && !video.error && !video.seeking && video.readyState >= 3;
  };

  Player.prototype.load = function (video, index, offset, ahead) {
    const segment = this.segments[index];
    video.segment = index;
    video.defaultPlaybackRate = state.rate;  // what loading the source resets the rate to
    // A media fragment starts the video where asked without a second request for the seek.
    video.src = ((ahead && segment.ahead) || segment.url) +
      (offset > 0 ? "#t=" + offset.toFixed(3) : "");
  };

  // Show the footage at `t` (exactly when the person moved the clock), playing or paused.
  Player.prototype.follow = function (t, playing, rate, exact) {
    const index = this.indexAt(t);
    let video = this.front;
    if (index < 0) {
      video.pause();
      this.show("empty", text("NoFootage"));
      return;
    }
    const offset = (t - this.segments[index].start) / 1000;
    if (video.segment !== index) {
      if (this.back.segment === index) {
        [this.front, this.back] = [this.back, this.front];
        this.front.hidden = false;
        this.back.hidden = true;
        this.back.pause();
        video = this.front;
        if (Math.abs(video.currentTime - offset) > DRIFT_S) video.currentTime = offset;
      } else {
        this.load(video, index, offset);
      }
    } else if (video.readyState >= 1 && !video.ended &&
               (exact ? video.currentTime !== offset
                 : Math.abs(video.currentTime - offset) > DRIFT_S * Math.max(1, rate))) {
      video.currentTime = offset;
    }
    video.defaultPlaybackRate = rate;
    video.playbackRate = rate;
    if (playing && video.paused && !video.ended) video.play().catch(() => {});
    if (!playing && !video.paused) video.pause();
    // Only once the shown one is ready: a masked piece is rendered for each request, and the
    // one shown comes first.
    if (this.ready(index) && index + 1 < this.segments.length && this.back.segment !== index + 1) {
      this.load(this.back, index + 1, 0, true);
    }
    if (video.error) this.show("failed", text("Failed"));
    else if (!this.ready(index)) this.show("loading", text("Loading"));
    else this.show(video.paused ? "paused" : "playing", "");
  };

  Player.prototype.show = function (name, note) {
    this.el.dataset.state = name;
    this.note.textContent = note;
    this.note.hidden = !note;
    this.front.hidden = name === "empty";
  };

  const players = Array.from(root.querySelectorAll("[data-player]"), (el) => {
    const camera = data.cameras.find((c) => String(c.id) === el.dataset.player);
    return new Player(camera, el);
  });

  // Advance the clock from its leader, then bring every camera to it.
  function tick() {
    if (state.playing) {
      const leader = players.find((p) => p.indexAt(state.t) >= 0 && !p.front.error);
      if (leader) {
        if (leader.ready(leader.indexAt(state.t))) state.t = leader.time();
      } else {
        const next = Math.min(...players.map((p) => p.nextStart(state.t)));
        if (next < dayEnd) state.t = next;
        else { state.playing = false; state.t = Math.min(state.t, dayEnd - 1); }
      }
    }
    players.forEach((p) => p.follow(state.t, state.playing, state.rate, false));
    render();
  }

  function seek(t, playing, quiet) {
    state.t = Math.max(dayStart, Math.min(dayEnd - 1, t));
    if (playing !== undefined) state.playing = playing;
    players.forEach((p) => p.follow(state.t, state.playing, state.rate, true));
    render();
    if (!quiet) remember();
  }

  function render() {
    const parts = Object.fromEntries(timeOfDay.formatToParts(new Date(state.t))
      .map((part) => [part.type, part.value]));
    clockEl.textContent = parts.hour + ":" + parts.minute + ":" + parts.second + " " + data.zone;
    root.dataset.clock = String(Math.round(state.t));
    root.dataset.state = state.playing ? "playing" : "paused";
    const hour = dayStart + Math.floor((state.t - dayStart) / HOUR) * HOUR;
    if (hourStrip.from !== hour) hourStrip.show(hour, hour + HOUR);
    for (const strip of [dayStrip, hourStrip]) strip.mark(state.t, clockEl.textContent);
    playButton.textContent = state.playing ? "❚❚" : "▶︎";
    playButton.setAttribute("aria-label", text(state.playing ? "Pause" : "Play"));
  }

  // The address keeps the moment shown, so it can be reloaded or sent to someone.
  function remember() {
    const parts = Object.fromEntries(timeOfDay.formatToParts(new Date(state.t))
      .map((part) => [part.type, part.value]));
    const query = new URLSearchParams(location.search);
    query.set("t", parts.hour + ":" + parts.minute + ":" + parts.second);
    history.replaceState(null, "", "?" + query.toString());
  }

  // Recorded spans of one camera: segments closer than JOIN_MS make one span.
  function spansOf(player) {
    const spans = [];
    for (const segment of player.segments) {
      const last = spans[spans.length - 1];
      if (last && segment.start - last.to <= JOIN_MS) last.to = Math.max(last.to, segment.end);
      else spans.push({ from: segment.start, to: segment.end });
    }
    return spans;
  }

  // A timeline over [from, to): the day, or the hour being played (fine enough to click a
  // moment on a phone). One lane per camera with its spans and marks; a click plays from the
  // moment under it.
  function Strip(el, keySteps) {
    this.el = el;
    this.playhead = el.querySelector("[data-playhead]");
    this.from = null;
    el.addEventListener("click", (event) => {
      const box = el.getBoundingClientRect();
      seek(this.from + (event.clientX - box.left) / box.width * (this.to - this.from), true);
    });
    el.addEventListener("keydown", (event) => {
      const moves = { ArrowLeft: -keySteps[0], ArrowRight: keySteps[0],
                      PageUp: -keySteps[1], PageDown: keySteps[1] };
      if (event.key in moves) seek(state.t + moves[event.key]);
      else if (event.key === "Home") seek(this.from);
      else if (event.key === "End") seek(this.to - 1);
      else if (event.key === " " || event.key === "Enter") seek(state.t, !state.playing);
      else return;
      event.preventDefault();
    });
  }

  Strip.prototype.place = function (el, from, to) {
    const length = this.to - this.from;
    el.style.left = ((from - this.from) / length * 100) + "%";
    if (to !== undefined) el.style.width = Math.max(0.1, (to - from) / length * 100) + "%";
  };

  Strip.prototype.show = function (from, to) {
    this.from = from;
    this.to = to;
    for (const player of players) {
      const lane = this.el.querySelector('[data-lane="' + player.camera.id + '"]');
      const fragment = document.createDocumentFragment();
      for (const span of player.spans) {
        if (span.to <= from || span.from >= to) continue;
        const el = document.createElement("span");
        el.className = "review-span";
        this.place(el, Math.max(span.from, from), Math.min(span.to, to));
        fragment.append(el);
      }
      // One mark per kind per thousandth of the strip: thousands of motion marks would only
      // draw the same pixels.
      const drawn = new Set();
      for (const marker of player.markers) {
        const slot = marker.kind + Math.round((marker.at - from) / (to - from) * 1000);
        if (drawn.has(slot) || marker.at < from || marker.at >= to) continue;
        drawn.add(slot);
        const el = document.createElement("span");
        el.className = "review-mark mark-" + marker.kind;
        el.title = marker.title || text(marker.kind.charAt(0).toUpperCase() + marker.kind.slice(1));
        this.place(el, marker.at);
        fragment.append(el);
      }
      lane.replaceChildren(fragment);
    }
    const labels = this.el.nextElementSibling;
    if (labels && labels.hasAttribute("data-labels")) {
      labels.querySelectorAll("span").forEach((label, index, all) => {
        const parts = Object.fromEntries(timeOfDay.formatToParts(
          new Date(from + (to - from) * index / all.length)).map((p) => [p.type, p.value]));
        label.textContent = parts.hour + ":" + parts.minute;
      });
    }
  };

  Strip.prototype.mark = function (t, label) {
    if (this.from === null) return;
    this.playhead.hidden = false;
    this.place(this.playhead, t);
    this.el.setAttribute("aria-valuenow", String(Math.round((t - this.from) / 1000)));
    this.el.setAttribute("aria-valuetext", label);
  };

  const dayStrip = new Strip(root.querySelector('[data-timeline="day"]'), [60000, 600000]);
  const hourStrip = new Strip(root.querySelector('[data-timeline="hour"]'), [5000, 60000]);

  function jumpToEvent(direction) {
    const target = direction > 0
      ? events.find((at) => at > state.t + 1000)
      : events.filter((at) => at < state.t - 1000).pop();
    if (target === undefined) { statusEl.textContent = text("NoEvent"); return; }
    statusEl.textContent = "";
    seek(target);
  }

  function step(frames) {
    const fps = (players[0] && players[0].camera.fps) || 10;
    seek(state.t + frames * 1000 / fps, false);
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "play") seek(state.t, !state.playing);
    else if (action === "frame-back") step(-1);
    else if (action === "frame-forward") step(1);
    else if (action === "previous-event") jumpToEvent(-1);
    else if (action === "next-event") jumpToEvent(1);
  });
  speedEl.addEventListener("change", () => {
    state.rate = SPEEDS.includes(Number(speedEl.value)) ? Number(speedEl.value) : 1;
    tick();
  });

  // A segment as the files to play: itself, or for masked footage its pieces (`?bagian=N`,
  // each playing from 0 at the segment's start plus N pieces; asked for ahead of playing
  // with `berikutnya=1`, which the portal renders beside what someone waits for).
  function piecesOf(segment, seconds) {
    if (!seconds) return [segment];
    const pieces = [];
    for (let n = 0; segment.start + n * seconds * 1000 < segment.end; n++) {
      const start = segment.start + n * seconds * 1000;
      const url = segment.url + "?bagian=" + n;
      pieces.push({ url: url, ahead: url + "&berikutnya=1", start: start,
                    end: Math.min(segment.end, start + seconds * 1000) });
    }
    return pieces;
  }

  async function loadDay(player) {
    const query = new URLSearchParams({ start: data.dayStart, end: data.dayEnd });
    const response = await fetch(player.camera.api + "?" + query.toString(), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    const day = await response.json();
    player.segments = day.segments.flatMap((s) => piecesOf(
      { url: s.url, start: Date.parse(s.start), end: Date.parse(s.end) }, day.piece_seconds,
    )).sort((a, b) => a.start - b.start);
    root.querySelector('[data-player="' + player.camera.id + '"] [data-masked]').hidden = !day.masked;
    player.spans = spansOf(player);
    player.markers = day.markers.map((m) => ({ kind: m.kind, at: Date.parse(m.at), title: m.title }));
    return player.markers;
  }

  Promise.all(players.map(loadDay)).then((markerLists) => {
    events = Array.from(new Set(markerLists.flat().map((m) => m.at))).sort((a, b) => a - b);
    dayStrip.show(dayStart, dayEnd);
    const first = Math.min(...players.map((p) => (p.segments[0] ? p.segments[0].start : Infinity)));
    const asked = data.start ? Date.parse(data.start) : NaN;
    if (!Number.isNaN(asked)) seek(asked, true, true);  // from a link to a moment: play it
    else seek(Number.isFinite(first) ? first : dayStart, false, true);
    setInterval(tick, 200);
  }, () => {
    statusEl.textContent = text("Failed");
    players.forEach((p) => p.show("failed", text("Failed")));
  });
}());
