// Shows the full classroom link for the current view (this page's address + the query) and copies it.
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "nnx-linkbox";
  box.style.cssText = "display:flex;gap:6px;align-items:center;font-size:14px;margin:4px 0";
  const input = document.createElement("input");
  input.readOnly = true;
  input.style.cssText = "flex:1;min-width:20em;font-family:monospace;font-size:13px;padding:3px";
  const copy = document.createElement("button");
  copy.textContent = "Copy";
  copy.className = "jupyter-button";
  const said = document.createElement("span");

  function update() {
    const query = model.get("query");
    box.style.display = query ? "flex" : "none";
    input.value = window.location.origin + window.location.pathname + query;
    said.textContent = "";
  }
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      said.textContent = "copied";
    } catch (e) {
      said.textContent = "select and copy (Ctrl+C)";
    }
  });
  model.on("change:query", update);
  box.append(input, copy, said);
  el.appendChild(box);
  update();
}

export default { render };
