// The job page's review: a timeline to comment at a time, "Comment at" the player's time,
// comments that jump the player to theirs.
const $ = (id) => document.getElementById(id);
const video = $("video");
const timeline = $("timeline");
const duration = Number($("review").dataset.duration) || 0;
const atInput = $("id_at_seconds");

export function timecode(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function seek(seconds) {
  video.currentTime = Math.min(Math.max(seconds, 0), duration);
  showTime();
}

function commentAt(seconds) {
  atInput.value = (Math.round(Math.min(Math.max(seconds, 0), duration) * 100) / 100).toFixed(2);
  $("id_text").focus();
}

function showTime() {
  const now = video.currentTime || 0;
  $("comment-at-time").textContent = timecode(now);
  $("playhead").style.left = `${duration ? (100 * now) / duration : 0}%`;
  timeline.setAttribute("aria-valuenow", now.toFixed(2));
}

function placeMarks() {
  for (const mark of timeline.querySelectorAll(".timeline-mark")) {
    mark.style.left = `${mark.dataset.left}%`;
  }
}
placeMarks();

// Another member commented, resolved or changed the state: redraw the list, the marks and
// the badge from the page as the server renders it now, leaving the form being typed in.
async function redraw() {
  const response = await fetch(location.pathname, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  $("comments").replaceWith(fresh.getElementById("comments"));
  $("review-state").replaceWith(fresh.getElementById("review-state"));
  for (const mark of timeline.querySelectorAll(".timeline-mark")) mark.remove();
  timeline.append(...fresh.querySelectorAll("#timeline .timeline-mark"));
  placeMarks();
  const state = fresh.querySelector("#review-state-form select");
  if (state && $("id_state")) $("id_state").value = state.value;
}
document.addEventListener("review:changed", () => { redraw().catch(() => {}); });

// A comment, or a mark on the timeline, jumps the player to its time.
document.addEventListener("click", (event) => {
  const target = event.target.closest?.("[data-seek]");
  if (!target) return;
  event.stopPropagation();
  seek(Number(target.dataset.seek));
  const item = document.querySelector(`.comment[data-at="${target.dataset.seek}"]`);
  for (const current of document.querySelectorAll(".comment.current")) current.classList.remove("current");
  item?.classList.add("current");
});

// Clicking the timeline elsewhere moves the player there and starts a comment at that time.
timeline.addEventListener("click", (event) => {
  if (event.target.closest("[data-seek]")) return;
  const box = timeline.getBoundingClientRect();
  const seconds = ((event.clientX - box.left) / box.width) * duration;
  seek(seconds);
  commentAt(seconds);
});
timeline.addEventListener("keydown", (event) => {
  const step = { ArrowLeft: -0.5, ArrowRight: 0.5 }[event.key];
  if (step) { seek((video.currentTime || 0) + step); event.preventDefault(); }
  if (event.key === "Enter") { commentAt(video.currentTime || 0); event.preventDefault(); }
});

$("comment-at").addEventListener("click", () => {
  video.pause();
  commentAt(video.currentTime || 0);
});

video.addEventListener("timeupdate", showTime);
video.addEventListener("seeked", showTime);
showTime();
