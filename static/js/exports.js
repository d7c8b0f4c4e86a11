// The video page's exports: while one is queued or being made, its state is fetched every
// two seconds and its row updated in place (status, size, download link, error).
const section = document.getElementById("exports");
const POLL_MS = 2000;

function sizeText(bytes) {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

function show(row, state) {
  row.dataset.status = state.status;
  const badge = row.querySelector('[data-role="status"]');
  badge.textContent = state.status.charAt(0).toUpperCase() + state.status.slice(1);
  badge.className = `badge badge-${state.status}`;
  const error = row.querySelector('[data-role="error"]');
  error.textContent = state.error;
  error.hidden = !state.error;
  const link = row.querySelector('[data-role="download"]');
  if (state.download) {
    link.href = state.download;
    link.hidden = false;
    const notes = state.notes.map((n) => ` · ${n}`).join("");
    row.querySelector('[data-role="facts"]').textContent =
      `${state.width} × ${state.height}, ${sizeText(state.size_bytes)}${notes}`;
    const preview = row.querySelector('[data-role="preview"]');
    if (!preview.firstElementChild) {
      const shown = document.createElement(state.kind === "gif" ? "img" : "video");
      shown.src = state.file;
      if (state.kind === "gif") shown.alt = "The GIF";
      else Object.assign(shown, { muted: true, loop: true, controls: true, playsInline: true });
      preview.append(shown);
    }
  }
}

async function poll() {
  const response = await fetch(section.dataset.stateUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const { exports } = await response.json();
  let pending = false;
  for (const state of exports) {
    const row = section.querySelector(`[data-export="${state.id}"]`);
    if (row) show(row, state);
    pending ||= state.status === "queued" || state.status === "running";
  }
  if (pending) setTimeout(poll, POLL_MS);
}

if (section && section.hasAttribute("data-pending")) setTimeout(poll, POLL_MS);
