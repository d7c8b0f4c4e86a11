// Storyboard pages: count the script's characters against the limit, and on the storyboard
// page show only the fields a scene's visual uses, the seconds only for a fixed duration, and
// the music file only for uploaded music, and a scene's sound only for an engine that makes one. Without this script every field is shown and the
// forms work the same.

const limitsNode = document.getElementById("limits");
const limits = limitsNode ? JSON.parse(limitsNode.textContent) : {};

const count = document.getElementById("text-count");
if (count) {
  const text = document.querySelector("#storyboard-new textarea[name=text]");
  const limit = limits[count.dataset.limitName];
  const show = () => {
    const used = text.value.length;
    count.textContent = `${used.toLocaleString()} / ${limit.toLocaleString()} characters`;
    count.classList.toggle("error", used > limit);
  };
  text.addEventListener("input", show);
  show();
}

for (const form of document.querySelectorAll(".scene-form")) {
  const visual = form.querySelector("select[name$='-visual']");
  const engine = form.querySelector("select[name$='-engine']");
  const timings = form.querySelectorAll("input[name$='-timing']");
  const show = () => {
    for (const part of form.querySelectorAll("[data-visuals]")) {
      part.hidden = !part.dataset.visuals.split(" ").includes(visual.value);
    }
    for (const part of form.querySelectorAll("[data-sound-engines]")) {
      if (!part.dataset.soundEngines.split(" ").includes(engine.value)) part.hidden = true;
    }
    const fixed = [...timings].some((radio) => radio.checked && radio.value === "fixed");
    for (const part of form.querySelectorAll("[data-timing]")) part.hidden = !fixed;
  };
  visual.addEventListener("change", show);
  engine.addEventListener("change", show);
  for (const radio of timings) radio.addEventListener("change", show);
  show();
}

const settings = document.getElementById("storyboard-settings");
if (settings) {
  const music = settings.querySelector("select[name=music]");
  const file = settings.querySelector("input[name=music_file]");
  const part = settings.querySelector("[data-music-file]");
  const show = () => { part.hidden = music.value !== "upload"; };
  music.addEventListener("change", show);
  // Picking a file is choosing it as the music.
  file.addEventListener("change", () => { if (file.files.length) music.value = "upload"; show(); });
  show();
}
