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
      // A job started, finished or was added: fetch the page again, at most once a second.
      // The snapshot (on every connection) too: jobs that finished between this page's
      // rendering and the socket's opening are in no message and in no snapshot of active jobs.
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(async () => {
        const response = await fetch(location.href, { credentials: "same-origin" });
        if (!response.ok) return;
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const section of document.querySelectorAll("[data-live-workspace], #active, #gallery")) {
          const fresh = section.id && doc.getElementById(section.id);
          if (fresh) section.replaceWith(fresh);
        }
      }, 1000);
    }
  });
}
