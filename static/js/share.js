// A share page or its embed: tell the studio once when playback starts, to count a play.
// No cookie is set; the studio deduplicates a visitor's plays on its side.
const video = document.getElementById("share-video");
let counted = false;

video.addEventListener("playing", () => {
  if (counted) return;
  counted = true;
  const url = video.dataset.playBeacon;
  if (!navigator.sendBeacon?.(url)) fetch(url, { method: "POST", keepalive: true }).catch(() => {});
});

// The embed fills its frame; the share page sizes the player to the video's shape.
if (video.dataset.aspect) video.style.aspectRatio = video.dataset.aspect;
