// On every page: the behaviour and the per-item styles that markup may not carry inline under
// the Content Security Policy (no on*= handlers, no style= attributes).

// The header's workspace menu opens the workspace picked.
for (const select of document.querySelectorAll("select.workspace-switch")) {
  select.addEventListener("change", () => { location.href = select.value; });
}

// A button with data-confirm asks first, and does nothing unless confirmed.
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// A button with data-copy="<id>" copies that field's text (a share link, an embed snippet).
document.addEventListener("click", async (event) => {
  const button = event.target.closest?.("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    document.execCommand("copy");  // plain http: the clipboard API wants a secure context
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
});

// A select with data-autosubmit submits its form when changed.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// Sizes and colours that depend on the item: set through the CSSOM, which the policy allows.
for (const element of document.querySelectorAll("[data-aspect]")) {
  element.style.aspectRatio = element.dataset.aspect;
}
for (const box of document.querySelectorAll("[data-box]")) {
  const [left, top, width, height] = box.dataset.box.split(" ");
  Object.assign(box.style, { left: `${left}%`, top: `${top}%`, width: `${width}%`, height: `${height}%` });
}
for (const sample of document.querySelectorAll("[data-brand-background]")) {
  const { brandBackground, brandText, brandAccent, brandFont } = sample.dataset;
  Object.assign(sample.style, {
    background: brandBackground,
    color: brandText,
    borderLeft: `4px solid ${brandAccent}`,
    fontFamily: `'${brandFont}', sans-serif`,
  });
}
