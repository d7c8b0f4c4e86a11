// The talking-head editor: count the script's characters and play the chosen voice.
const form = document.getElementById("avatar-video-form");
if (form) {
  const script = form.querySelector("textarea[name=script]");
  const count = document.getElementById("script-count");
  const button = document.getElementById("play-voice");
  const status = document.getElementById("voice-status");
  const audio = document.getElementById("voice-audio");
  const showCount = () => { count.textContent = String(script.value.length); };
  script.addEventListener("input", showCount);
  showCount();

  button.addEventListener("click", async () => {
    const body = new FormData();
    body.append("script", script.value);
    body.append("voice", form.querySelector("[name=voice]").value);
    body.append("speed", form.querySelector("[name=speed]").value);
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    button.disabled = true;
    status.textContent = "Speaking…";
    try {
      const response = await fetch(form.dataset.voiceUrl, { method: "POST", body });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({ error: "The voice could not speak." }));
        status.textContent = problem.error;
        return;
      }
      if (audio.src) URL.revokeObjectURL(audio.src);
      audio.src = URL.createObjectURL(await response.blob());
      audio.hidden = false;
      status.textContent = "";
      await audio.play().catch(() => {});
    } finally {
      button.disabled = false;
    }
  });
}
