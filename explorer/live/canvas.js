// The browser side of LiveFigure: draws PNG frames (whole, or changed rectangles) onto one <canvas>,
// and says which it has drawn, at most every ACK_EVERY ms (the kernel sends at most AHEAD frames more).
const ACK_EVERY = 100; // ms: acknowledge what has been drawn at most this often

function render({ model, el }) {
  const canvas = document.createElement("canvas");
  canvas.className = "nnx-live";
  const ctx = canvas.getContext("2d");
  let frames = 0;
  let chain = Promise.resolve();
  let drawn = 0; // the number of the last frame drawn
  let ackTimer = null;
  function ack() {
    ackTimer = null;
    model.send({ type: "ack", seq: drawn });
  }

  function size() {
    canvas.style.width = model.get("width") + "px";
    canvas.style.maxWidth = "100%";
    canvas.style.height = "auto";
    if (!frames) {
      canvas.width = model.get("width");
      canvas.height = model.get("height");
    }
  }

  async function draw(msg, buffers) {
    // One PNG holds every changed rectangle; rects[i] = [x, y, w, h, x in the PNG, y in it].
    const bitmap = await createImageBitmap(new Blob([buffers[0]], { type: "image/png" }));
    if (msg.full) {
      if (canvas.width !== msg.W) canvas.width = msg.W;
      if (canvas.height !== msg.H) canvas.height = msg.H;
    }
    for (const [x, y, w, h, sx, sy] of msg.rects) ctx.drawImage(bitmap, sx, sy, w, h, x, y, w, h);
    bitmap.close();
    frames += 1;
    canvas.dataset.frames = String(frames);
    canvas.dataset.seq = String(msg.seq);
    drawn = msg.seq;
    if (!ackTimer) ackTimer = setTimeout(ack, ACK_EVERY); // one message for a run of frames
  }

  model.on("msg:custom", (msg, buffers) => {
    if (msg.type !== "frame" || !buffers || !buffers.length) return;
    chain = chain.then(() => draw(msg, buffers)).catch((e) => console.warn("nn-explorer frame", e));
  });
  model.on("change:width", size);
  model.on("change:height", size);

  canvas.addEventListener("click", (e) => {
    const r = canvas.getBoundingClientRect();
    model.send({ type: "click", x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height });
  });

  // Ask for whole frames at this screen's pixel density, again whenever it changes (zoom, another screen).
  let media = null;
  function ready() {
    const dpr = window.devicePixelRatio || 1;
    model.send({ type: "ready", dpr });
    if (media) media.removeEventListener("change", ready);
    media = window.matchMedia(`(resolution: ${dpr}dppx)`);
    media.addEventListener("change", ready);
  }

  size();
  el.appendChild(canvas);
  ready();
  return () => {
    if (ackTimer) clearTimeout(ackTimer);
    if (media) media.removeEventListener("change", ready);
    canvas.remove();
  };
}

export default { render };
