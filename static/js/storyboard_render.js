// The storyboard page's render panel: per-scene progress and thumbnails from the workspace's
// WebSocket (job.progress of the scene jobs it shows), the overall figure from
// storyboard.progress, and the panel fetched again when a render's or a shown job's state
// changes (storyboard.status, job.status; and the snapshot after a reconnection).
import { connect, formatSeconds } from "./live.js";

const panel = () => document.getElementById("storyboard-render");
const first = panel();

// Elements carry the ids of the jobs they show: "12 13" (a scene in two aspects).
const holding = (job) =>
  [...panel().querySelectorAll("[data-jobs]")].filter((el) => el.dataset.jobs.split(" ").includes(String(job)));

function showOverall(message) {
  const root = panel();
  const bar = root.querySelector("#render-progress");
  if (bar && typeof message.fraction === "number") bar.value = message.fraction;
  const stage = root.querySelector("#render-stage");
  if (stage && message.stage) stage.textContent = message.stage;
  const eta = root.querySelector("#render-eta");
  if (eta) eta.textContent = formatSeconds(message.eta);
}

function showScene(message) {
  for (const el of holding(message.job)) {
    const bar = el.querySelector("[data-scene-progress], [data-output-progress]");
    if (bar && message.total) bar.value = message.step / message.total;
    const stage = el.querySelector("[data-scene-stage], [data-output-stage]");
    if (stage && message.stage) stage.textContent = message.stage;
    if (!message.preview) continue;
    let img = el.querySelector("img[data-thumbnail]");
    const empty = el.querySelector("[data-thumbnail-empty]");
    if (!img && empty) {
      img = document.createElement("img");
      img.dataset.thumbnail = "";
      img.alt = "Scene preview";
      empty.replaceWith(img);
    }
    if (img) img.src = message.preview;
  }
}

let timer;
function refreshSoon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 300); // one fetch for a burst of changes
}

async function refresh() {
  const root = panel();
  if (!root) return;
  const url = new URL(root.dataset.panelUrl, location.href);
  url.searchParams.set("partial", "1");
  url.searchParams.set("next", location.pathname + location.search);
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) return;
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.getElementById("storyboard-render");
  if (fresh) panel().replaceWith(fresh);
}

if (first) {
  const storyboard = Number(first.dataset.storyboard);
  connect(`/ws/workspaces/${first.dataset.workspace}/`, (message) => {
    if (message.type === "storyboard.progress" || message.type === "storyboard.status") {
      if (message.storyboard !== storyboard) return;
      showOverall(message);
      if (message.type === "storyboard.status") refreshSoon();
    } else if (message.type === "job.progress") {
      showScene(message);
    } else if (message.type === "job.status") {
      if (holding(message.job).length) refreshSoon();
    } else if (message.type === "snapshot") {
      refreshSoon(); // what changed while the socket was down
    }
  });
}
