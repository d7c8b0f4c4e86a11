// A WebSocket to the studio that reconnects with back-off. The server sends a snapshot first
// on every (re)connection, so nothing is lost while the socket was down.
export function connect(path, onMessage, { shouldReconnect = () => true } = {}) {
  let delay = 500;
  let socket;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.onopen = () => { delay = 500; document.body.dataset.live = "connected"; };
    socket.onmessage = (event) => onMessage(JSON.parse(event.data));
    socket.onclose = () => {
      document.body.dataset.live = "disconnected";
      if (shouldReconnect()) setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
  return () => socket && socket.close();
}

export function formatSeconds(seconds) {
  if (seconds == null || !isFinite(seconds)) return "estimating…";
  if (seconds < 1) return "almost done";
  if (seconds < 90) return `about ${Math.round(seconds)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}
