// Saves what the kernel sends as a file in the browser's downloads.
function render({ model, el }) {
  model.on("msg:custom", (msg, buffers) => {
    if (msg.type !== "download" || !buffers || !buffers.length) return;
    const url = URL.createObjectURL(new Blob([buffers[0]], { type: msg.mime }));
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.filename;
    el.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
}

export default { render };
