// Gallery and dashboard: posters play on hover; tiles of running jobs update live.
import { connect } from "./live.js";

document.addEventListener("mouseover", (event) => {
  const video = event.target.closest?.("video.hover-play");
  if (video && video.paused) video.play().catch(() => {});
});
document.addEventListener("mouseout", (event) => {
  const video = event.target.closest?.("video.hover-play");
  if (video && !video.contains(event.relatedTarget)) { video.pause(); video.currentTime = 0; }
});

// What a live section shows, as {job id: status}: tiles and batch rows carry both.
const shown = (root) =>
  new Map([...root.querySelectorAll("[data-job][data-status]")].map((el) => [el.dataset.job, el.dataset.status]));
const ACTIVE = new Set(["queued", "running"]);

// Whether these job states change what the page shows. A job the page does not show matters
// only to a section that lists new jobs (data-live-new); with a snapshot, a job the page shows
// as active that is no longer in it has finished.
function changes(states, { snapshot }) {
  const page = shown(document);
  const listsNew = document.querySelector("[data-live-new]") !== null;
  for (const state of states) {
    const status = page.get(String(state.job));
    if (status === undefined ? listsNew : status !== state.status) return true;
  }
  if (!snapshot) return false;
  const active = new Set(states.map((state) => String(state.job)));
  return [...page].some(([job, status]) => ACTIVE.has(status) && !active.has(job));
}

const same = (a, b) => a.size === b.size && [...a].every(([job, status]) => b.get(job) === status);

// Fetch the page again and swap in only the sections whose jobs changed (a section of
// figures, with no jobs in it, is always swapped): a hovered video elsewhere keeps playing.
async function refresh() {
  const response = await fetch(location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const section of document.querySelectorAll("[data-live-workspace]")) {
    const fresh = section.id && doc.getElementById(section.id);
    if (!fresh) continue;
    const before = shown(section);
    if (before.size && same(before, shown(fresh))) continue;
    section.replaceWith(fresh);
  }
}

const live = document.querySelector("[data-live-workspace]");
if (live) {
  let reloadTimer;
  connect(`/ws/workspaces/${live.dataset.liveWorkspace}/`, (message) => {
    if (message.type === "job.progress") {
      const tile = document.querySelector(`.tile[data-job="${message.job}"]`);
      if (!tile) return;
      const bar = tile.querySelector("progress");
      if (bar && message.total) bar.value = message.step / message.total;
      const img = tile.querySelector("img");
      if (img && message.preview) img.src = message.preview;
    } else if (message.type === "job.status" || message.type === "snapshot") {
      // The snapshot comes on every connection: jobs that finished while the socket was down
      // are in no message, and in no snapshot of active jobs, so their absence is a change.
      const snapshot = message.type === "snapshot";
      if (!changes(snapshot ? message.jobs : [message], { snapshot })) return;
      // At most one fetch a second however many jobs change.
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(refresh, 1000);
    } else if (message.type === "storyboard.status") {
      // A storyboard batch's row ("render-N" in data-job: its stage, not a job's status).
      if (!document.querySelector(`[data-render="${message.render}"]`)) return;
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(refresh, 1000);
    }
  });
}

// A batch's ZIP is built by a worker and announced by no message: while one is being made,
// look again every two seconds until it is ready.
setInterval(() => {
  if (document.querySelector("[data-archive-building]")) refresh();
}, 2000);
