/**
 * The HTML page the receiver's HTTP viewer serves at `/`: the live MJPEG stream in an `<img>` and
 * the receiver's stats, polled from `stats.json` once a second. Everything is inline (no external
 * scripts, styles or fonts), so it works offline and under a strict Content-Security-Policy.
 *
 * @module
 */

/** The Content-Security-Policy that fits {@linkcode viewerPageHtml}: nothing beyond this origin. */
export const VIEWER_PAGE_CSP: string = "default-src 'none'; img-src 'self'; connect-src 'self'; " +
  "style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** The query string that carries `token` (with its `?`), or "" without a token. */
export function tokenQuery(token: string | undefined): string {
  return token === undefined ? "" : `?token=${encodeURIComponent(token)}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A JSON literal that is safe inside a `<script>` element. */
function scriptLiteral(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e")
    .replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/**
 * The page. URLs are relative, so it also works behind a reverse proxy under a sub-path; each
 * carries `?token=` when `token` is set.
 */
export function viewerPageHtml(options: { token?: string; title?: string } = {}): string {
  const query = tokenQuery(options.token);
  const title = escapeHtml(options.title ?? "udpcam");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>
  html, body { margin: 0; height: 100%; background: #111; color: #ddd;
    font: 14px/1.4 system-ui, sans-serif; }
  body { display: flex; flex-direction: column; }
  main { flex: 1; display: flex; align-items: center; justify-content: center; min-height: 0; }
  #video { max-width: 100%; max-height: 100%; object-fit: contain; background: #000; }
  #stats { display: flex; flex-wrap: wrap; gap: 0.3em 1.5em; padding: 0.5em 1em;
    background: #1c1c1c; font-variant-numeric: tabular-nums; }
  #stats b { color: #fff; font-weight: 600; }
  #state { color: #e8b04a; }
  a { color: #8ab4f8; }
</style>
</head>
<body>
<main><img id="video" src="stream.mjpeg${escapeHtml(query)}" alt="live udpcam stream"></main>
<div id="stats">
  <span><b id="fps">–</b> fps</span>
  <span><b id="mbps">–</b> Mbit/s</span>
  <span>lost <b id="lost">–</b></span>
  <span>latency p50 <b id="latency">–</b></span>
  <span>viewers <b id="viewers">–</b></span>
  <span id="state">connecting…</span>
  <span><a href="frame.jpg${escapeHtml(query)}" target="_blank" rel="noreferrer">snapshot</a></span>
</div>
<script>
"use strict";
const query = ${scriptLiteral(query)};
const video = document.getElementById("video");
const show = (id, text) => { document.getElementById(id).textContent = text; };
let failing = false;
let retries = 0;
function restartVideo() {
  retries += 1;
  video.src = "stream.mjpeg" + query + (query ? "&" : "?") + "retry=" + retries;
}
video.addEventListener("error", () => {
  show("state", "stream interrupted, retrying…");
  setTimeout(restartVideo, 2000);
});
function render(stats) {
  const r = stats.receiver;
  show("viewers", String(stats.http && stats.http.viewers !== undefined ? stats.http.viewers : "–"));
  if (!r) { show("state", "waiting for the first stats"); return; }
  show("fps", typeof r.fps === "number" ? r.fps.toFixed(1) : "–");
  show("mbps", typeof r.mbps === "number" ? r.mbps.toFixed(2) : "–");
  const frames = r.frames || {};
  if (typeof frames.complete === "number" && typeof frames.dropped === "number") {
    const total = frames.complete + frames.dropped;
    const pct = total === 0 ? 0 : (100 * frames.dropped) / total;
    show("lost", frames.dropped + " (" + pct.toFixed(1) + " %)");
  }
  const latency = r.presentedLatencyMs || r.latencyMs;
  show("latency", latency && typeof latency.p50 === "number"
    ? latency.p50.toFixed(1) + " ms" : "n/a");
  show("state", frames.complete === 0 ? "waiting for the stream" : "live");
}
async function poll() {
  try {
    const response = await fetch("stats.json" + query, { cache: "no-store" });
    if (!response.ok) throw new Error(response.status + " " + (await response.text()));
    render(await response.json());
    if (failing) { failing = false; restartVideo(); }
  } catch (error) {
    failing = true;
    show("state", "receiver unreachable: " + (error && error.message ? error.message : error));
  }
}
poll();
setInterval(poll, 1000);
</script>
</body>
</html>
`;
}
