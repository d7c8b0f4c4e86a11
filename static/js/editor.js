// The prompt editor: show the fields that fit the mode, keep the engine consistent with it,
// and say in words what the numbers mean (size, duration).
const form = document.querySelector("form.editor");
const sizes = JSON.parse(document.getElementById("sizes").textContent);
const limits = JSON.parse(document.getElementById("limits").textContent);
// Each engine's recommended steps, guidance, frames and fps, by engine name.
const recommended = JSON.parse(document.getElementById("recommended").textContent);
const $ = (name) => form.elements.namedItem(name);

function mode() { return form.querySelector("input[name=mode]:checked")?.value || "text-to-video"; }

function syncMode() {
  const m = mode();
  form.querySelector(".image-only").hidden = m !== "image-to-video";
  const engine = $("engine");
  const fits = (option) => !option.disabled && (option.dataset.modes || "").split(" ").includes(m);
  for (const option of engine.options) option.hidden = !(option.dataset.modes || "").split(" ").includes(m);
  if (!fits(engine.selectedOptions[0])) {
    const first = [...engine.options].find(fits);
    if (first) engine.value = first.value;
  }
  const chosen = engine.selectedOptions[0];
  const usable = Boolean(chosen && fits(chosen));
  document.getElementById("engine-note").textContent =
    usable ? "" : `No engine on this server can make ${m} videos yet.`;
  form.querySelector("button[type=submit]").disabled = !usable;
  syncPresets();
}

// Switching the engine switches the settings to the ones it recommends, except those the user
// changed from what the previous engine recommended.
const recommendedFields = { steps: "steps", guidance: "guidance", num_frames: "frames", fps: "fps" };
let shownEngine = null;

function syncRecommended() {
  const engine = $("engine").value;
  const before = recommended[shownEngine], after = recommended[engine];
  if (before && after && engine !== shownEngine) {
    for (const [field, key] of Object.entries(recommendedFields)) {
      // While Fast is picked the Quality values wait in qualityValues; they switch there.
      const held = qualityValues && field in qualityValues;
      const value = held ? qualityValues[field] : $(field).value;
      if (Number(value) !== before[key]) continue;
      if (held) qualityValues[field] = String(after[key]);
      else $(field).value = after[key];
    }
  }
  shownEngine = engine;
}

// Offer only the presets the chosen engine has (Fast needs the model's few-step LoRA); with
// Quality alone there is nothing to choose, so the choice is hidden.
function syncPresets() {
  syncRecommended();
  const chosen = $("engine").selectedOptions[0];
  // The engine's own longest clip (the embedded model's is shorter than the longest any makes).
  $("num_frames").max = chosen?.dataset.maxFrames || limits.frames;
  const offered = (chosen?.dataset.presets || "quality").split(" ");
  const fieldset = document.getElementById("field-preset");
  for (const label of fieldset.querySelectorAll("label[data-preset]")) {
    const input = label.querySelector("input");
    const fits = offered.includes(input.value);
    label.hidden = !fits;
    input.disabled = !fits;
    if (!fits && input.checked) form.querySelector("input[name=preset][value=quality]").checked = true;
  }
  fieldset.hidden = offered.length < 2 && !fieldset.classList.contains("has-error");
}

// Fast runs the model's few-step LoRA at the steps and guidance its operator set, so picking it
// fills those in; the values the user had come back when Quality is picked again.
let qualityValues = null;

function applyPreset() {
  const chosen = $("engine").selectedOptions[0];
  const fast = form.querySelector("input[name=preset]:checked")?.value === "fast";
  if (fast && chosen?.dataset.fastSteps) {
    qualityValues ??= { steps: $("steps").value, guidance: $("guidance").value };
    $("steps").value = chosen.dataset.fastSteps;
    $("guidance").value = chosen.dataset.fastGuidance;
  } else if (!fast && qualityValues) {
    $("steps").value = qualityValues.steps;
    $("guidance").value = qualityValues.guidance;
    qualityValues = null;
  }
}

function syncNotes() {
  const aspect = $("aspect").value, size = $("size").value;
  const [w, h] = (sizes[aspect] || {})[size] || [];
  document.getElementById("size-note").textContent = w ? `${w} × ${h} pixels` : "";
  const frames = Number($("num_frames").value), fps = Number($("fps").value);
  document.getElementById("duration-note").textContent =
    frames > 0 && fps > 0 ? `${(frames / fps).toFixed(1)} seconds of video` : "";
  const prompt = $("prompt").value;
  document.getElementById("prompt-count").textContent =
    `${prompt.length} / ${limits.prompt_chars} characters`;
}

function showImage() {
  const file = $("image").files?.[0];
  const img = document.getElementById("image-preview");
  if (!file) { img.hidden = true; return; }
  img.src = URL.createObjectURL(file);
  img.hidden = false;
}

form.addEventListener("change", (event) => {
  if (event.target.name === "mode") syncMode();
  if (event.target.name === "engine") syncPresets();
  if (["mode", "engine", "preset"].includes(event.target.name)) applyPreset();
  if (event.target.name === "image") showImage();
  syncNotes();
});
form.addEventListener("input", syncNotes);
form.addEventListener("submit", () => {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  button.textContent = "Queuing…";
});
syncMode();
syncNotes();
