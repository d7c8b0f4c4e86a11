// A WebSocket to the studio that reconnects with back-off. The server sends a snapshot first
// on every (re)connection, so nothing is lost while the socket was down.
const REFUSED = 4403; // not (or no longer) a member: reconnecting would be refused again

export function connect(path, onMessage, { shouldReconnect = () => true } = {}) {
  let delay = 500;
  let socket;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.onopen = () => { delay = 500; document.body.dataset.live = "connected"; };
    socket.onmessage = (event) => onMessage(JSON.parse(event.data));
    socket.onclose = (event) => {
      if (event.code === REFUSED) {
        document.body.dataset.live = "refused";
        showRefusal();
        return;
      }
      document.body.dataset.live = "disconnected";
      // Jitter (half to all of the delay) spreads the reconnections of every open page after
      // a restart, instead of bringing them all back in the same instant.
      if (shouldReconnect()) setTimeout(open, delay * (0.5 + Math.random() / 2));
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
  return () => socket && socket.close();
}

function showRefusal() {
  if (document.getElementById("live-refused")) return;
  const notice = document.createElement("div");
  notice.id = "live-refused";
  notice.className = "flash flash-error";
  notice.setAttribute("role", "alert");
  notice.textContent = "You are no longer a member of this workspace; this page stopped updating.";
  document.querySelector("main")?.prepend(notice);
}

export function formatSeconds(seconds) {
  if (seconds == null || !isFinite(seconds)) return "estimating…";
  if (seconds < 1) return "almost done";
  if (seconds < 90) return `about ${Math.round(seconds)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}
