// The job page: live stage, progress bar, estimate and preview; the video when it is ready.
import { connect, formatSeconds } from "./live.js";

const root = document.getElementById("job");
const $ = (id) => document.getElementById(id);
const labels = { queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed", cancelled: "Cancelled" };
let finished = false;

function showProgress(step, total, stage, eta) {
  const bar = $("progress");
  bar.max = Math.max(total || 1, 1);
  bar.value = Math.min(step || 0, bar.max);
  bar.setAttribute("aria-valuenow", String(bar.value));
  bar.setAttribute("aria-valuemax", String(bar.max));
  $("stage").textContent = stage || "";
  $("steps").textContent = total ? `${step} / ${total}` : "";
  $("eta").textContent = formatSeconds(eta);
}

function showPreview(url) {
  if (!url) return;
  const img = $("preview");
  img.src = url;
  img.hidden = false;
  $("preview-empty").hidden = true;
}

function apply(state) {
  const badge = $("job-status");
  badge.textContent = labels[state.status] || state.status;
  badge.className = `badge badge-${state.status}`;
  root.dataset.status = state.status;
  showPreview(state.preview);
  const active = state.status === "queued" || state.status === "running";
  $("cancel-form")?.toggleAttribute("hidden", !active);
  $("rerun")?.toggleAttribute("hidden", active);
  if (active) {
    showProgress(state.step, state.total, state.stage, state.eta);
    return;
  }
  finished = true;
  $("failure").hidden = state.status !== "failed";
  $("error").textContent = state.error || "";
  $("cancelled").hidden = state.status !== "cancelled";
  if (state.status === "succeeded" && state.video) {
    const video = $("video");
    if (!video.getAttribute("src")) {
      video.poster = state.video.poster;
      video.src = state.video.url;
      $("download").href = state.video.download;
      $("poster-link").href = state.video.poster;
      if (state.video.captions && !video.querySelector("track")) {
        const track = document.createElement("track");
        Object.assign(track, { kind: "captions", srclang: "en", label: "Captions", default: true });
        track.src = state.video.captions;
        video.append(track);
      }
    }
    $("live").hidden = true;
    $("result").hidden = false;
    $("extra-ready")?.removeAttribute("hidden");  // sharing and review are drawn with the page
  } else {
    $("live").hidden = state.status !== "cancelled" || !state.preview;
  }
}

apply(JSON.parse($("job-state").textContent));
connect(
  `/ws/workspaces/${root.dataset.workspace}/jobs/${root.dataset.job}/`,
  (message) => {
    if (message.type === "snapshot") message.jobs.forEach(apply);
    else if (message.type === "job.status") apply(message);
    else if (message.type === "job.progress") {
      showProgress(message.step, message.total, message.stage, message.eta);
      showPreview(message.preview);
      if (root.dataset.status === "queued") apply({ ...message, status: "running" });
    } else if (message.type === "review.changed") {
      document.dispatchEvent(new CustomEvent("review:changed"));  // review.js redraws
    }
  },
  // A finished job's page stays live while it shows the video's review.
  { shouldReconnect: () => !finished || Boolean($("review")) },
);
