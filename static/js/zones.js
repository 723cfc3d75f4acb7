// Draws motion zones and privacy masks over a camera snapshot. Polygons are stored in the
// form's hidden inputs as JSON, in coordinates normalised to 0..1 so they survive a change
// of resolution. No inline script: everything is wired from data attributes.
(function () {
  "use strict";
  const editor = document.querySelector(".zone-editor");
  if (!editor) return;
  const canvas = editor.querySelector("canvas");
  const ctx = canvas.getContext("2d");
  const inputs = {
    zones: document.getElementById(editor.dataset.zonesInput),
    masks: document.getElementById(editor.dataset.masksInput),
  };
  const polygons = {
    zones: JSON.parse(inputs.zones.value || "[]"),
    masks: JSON.parse(inputs.masks.value || "[]"),
  };
  let current = [];
  const image = new Image();
  if (editor.dataset.image) {
    image.addEventListener("load", draw);
    image.src = editor.dataset.image;
  }

  function mode() {
    return editor.querySelector("input[name=draw-mode]:checked").value;
  }

  function save() {
    inputs.zones.value = JSON.stringify(polygons.zones);
    inputs.masks.value = JSON.stringify(polygons.masks);
  }

  function path(points) {
    ctx.beginPath();
    points.forEach(([x, y], i) => {
      const px = x * canvas.width, py = y * canvas.height;
      if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    });
  }

  function draw() {
    ctx.fillStyle = "#2b333d";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (image.complete && image.naturalWidth) {
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    }
    polygons.masks.forEach((p) => { path(p); ctx.closePath(); ctx.fillStyle = "#000"; ctx.fill(); });
    polygons.zones.forEach((p) => {
      path(p); ctx.closePath();
      ctx.fillStyle = "rgba(242, 193, 78, 0.25)"; ctx.fill();
      ctx.strokeStyle = "#f2c14e"; ctx.lineWidth = 2; ctx.stroke();
    });
    if (current.length) {
      path(current);
      ctx.strokeStyle = mode() === "masks" ? "#ff5c5c" : "#f2c14e";
      ctx.setLineDash([6, 4]); ctx.stroke(); ctx.setLineDash([]);
    }
  }

  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    current.push([Number(x.toFixed(4)), Number(y.toFixed(4))]);
    draw();
  });

  editor.addEventListener("click", (event) => {
    const action = event.target.dataset && event.target.dataset.action;
    if (!action) return;
    if (action === "close" && current.length >= 3) {
      polygons[mode()].push(current);
      current = [];
    } else if (action === "undo") {
      if (current.length) current.pop(); else polygons[mode()].pop();
    } else if (action === "clear") {
      polygons[mode()] = [];
      current = [];
    }
    save();
    draw();
  });

  editor.addEventListener("change", draw);
  draw();
})();
