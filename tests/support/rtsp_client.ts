/**
 * A minimal RTSP client for tests and benchmarks: it speaks just enough RTSP (OPTIONS, DESCRIBE,
 * SETUP over TCP interleaved or UDP, PLAY, TEARDOWN, Basic credentials) to pull the stream, and
 * can then read interleaved frames, count the frames that arrive, or stop reading altogether (the
 * slow client of the tests). Every read is bounded by a deadline.
 *
 * @module
 */

/** One RTSP response. */
export interface RawResponse {
  /** Status code. */
  status: number;
  /** Headers, names lowercased (a repeated header keeps its last value). */
  headers: Map<string, string>;
  /** The body as text. */
  body: string;
}

/** One interleaved frame read from the connection. */
export interface InterleavedFrame {
  /** Channel number. */
  channel: number;
  /** Its payload (an RTP or RTCP packet). */
  payload: Uint8Array;
}

const DOLLAR = 0x24;
const DEFAULT_TIMEOUT_MS = 10_000;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/** Whether an RTP packet has its marker bit set (the last packet of a frame). */
export function rtpMarker(packet: Uint8Array): boolean {
  return packet.length >= 12 && (packet[1] & 0x80) !== 0 && (packet[1] & 0x7f) < 72;
}

/** A raw RTSP client on one TCP connection. */
export class RawRtspClient {
  /** The presentation URL, e.g. rtsp://127.0.0.1:8554/udpcam. */
  readonly url: string;
  /** The connection (for a test that wants to write bytes of its own). */
  readonly conn: Deno.Conn;
  /** Interleaved frames read while waiting for a response. */
  readonly interleaved: InterleavedFrame[] = [];
  #buffer: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  #cseq = 0;
  #authorization: string | null = null;
  /** The session of the last SETUP, or null. */
  session: string | null = null;

  private constructor(url: string, conn: Deno.Conn) {
    this.url = url;
    this.conn = conn;
  }

  /** Connects to the server of `url` (rtsp://host:port/path). */
  static async connect(url: string): Promise<RawRtspClient> {
    const match = /^rtsp:\/\/(?:([^:@/]+):([^@/]*)@)?(\[[^\]]+\]|[^:/]+):(\d+)(\/.*)$/.exec(url);
    if (match === null) throw new Error(`Cannot parse RTSP URL ${url}`);
    const [, user, password, host, port, path] = match;
    const hostname = host.replace(/^\[|\]$/g, "");
    const conn = await Deno.connect({ hostname, port: Number(port) });
    const client = new RawRtspClient(`rtsp://${host}:${port}${path}`, conn);
    if (user !== undefined) client.#authorization = `Basic ${btoa(`${user}:${password}`)}`;
    return client;
  }

  /** Writes raw bytes (or text) into the connection. */
  async writeRaw(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    for (let at = 0; at < data.length;) at += await this.conn.write(data.subarray(at));
  }

  /** Sends a request and reads its response (interleaved frames before it are kept). */
  async request(
    method: string,
    uri: string,
    headers: Record<string, string> = {},
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<RawResponse> {
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${++this.#cseq}`];
    if (this.#authorization !== null) lines.push(`Authorization: ${this.#authorization}`);
    if (this.session !== null && !("Session" in headers)) lines.push(`Session: ${this.session}`);
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    await this.writeRaw(lines.join("\r\n") + "\r\n\r\n");
    return await this.readResponse(timeoutMs);
  }

  /** Reads the next response, keeping the interleaved frames that come first. */
  async readResponse(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#buffer.length > 0 && this.#buffer[0] === DOLLAR) {
        const frame = this.#takeInterleaved();
        if (frame === null) break;
        this.interleaved.push(frame);
      }
      if (this.#buffer.length > 0 && this.#buffer[0] !== DOLLAR) {
        const headEnd = indexOfHeadEnd(this.#buffer);
        if (headEnd >= 0) {
          const head = new TextDecoder().decode(this.#buffer.subarray(0, headEnd));
          const [statusLine, ...headerLines] = head.split("\r\n");
          const headers = new Map<string, string>();
          for (const line of headerLines) {
            const colon = line.indexOf(":");
            if (colon > 0) {
              headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
            }
          }
          const length = Number(headers.get("content-length") ?? 0);
          if (this.#buffer.length >= headEnd + 4 + length) {
            const body = new TextDecoder().decode(
              this.#buffer.subarray(headEnd + 4, headEnd + 4 + length),
            );
            this.#buffer = this.#buffer.slice(headEnd + 4 + length);
            const status = Number(/^RTSP\/1\.0 (\d{3})/.exec(statusLine)?.[1] ?? 0);
            const session = headers.get("session")?.split(";")[0];
            if (session !== undefined) this.session = session;
            return { status, headers, body };
          }
        }
      }
      if (!await this.#fill(deadline)) {
        throw new Error(`Cannot read an RTSP response from ${this.url}: connection closed`);
      }
    }
  }

  /** OPTIONS, DESCRIBE, SETUP of the track over TCP (channels 0-1), then PLAY. */
  async playTcp(): Promise<RawResponse> {
    await this.setup("RTP/AVP/TCP;unicast;interleaved=0-1");
    return await this.request("PLAY", `${this.url}/`, { Range: "npt=0.000-" });
  }

  /** SETUP over UDP to `rtpPort`/`rtpPort + 1` on this host, then PLAY. */
  async playUdp(rtpPort: number, rtcpPort = rtpPort + 1): Promise<RawResponse> {
    const setup = await this.setup(`RTP/AVP;unicast;client_port=${rtpPort}-${rtcpPort}`);
    if (setup.status !== 200) return setup;
    return await this.request("PLAY", `${this.url}/`, { Range: "npt=0.000-" });
  }

  /** OPTIONS, DESCRIBE and SETUP of the track with `transport`; throws unless each says 200. */
  async setup(transport: string): Promise<RawResponse> {
    for (
      const [method, headers] of [["OPTIONS", {}], ["DESCRIBE", {
        Accept: "application/sdp",
      }]] as const
    ) {
      const response = await this.request(method, this.url, headers);
      if (response.status !== 200) throw new Error(`${method} answered ${response.status}`);
    }
    const response = await this.request("SETUP", `${this.url}/stream=0`, { Transport: transport });
    if (response.status !== 200) throw new Error(`SETUP answered ${response.status}`);
    return response;
  }

  /**
   * Reads interleaved frames until `count` RTP frames (marker bits on channel `rtpChannel`) have
   * arrived or `timeoutMs` passed; returns every interleaved frame read.
   */
  async readFrames(
    count: number,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    rtpChannel = 0,
  ): Promise<InterleavedFrame[]> {
    const deadline = Date.now() + timeoutMs;
    const frames = this.interleaved.splice(0);
    let markers = frames.filter((f) => f.channel === rtpChannel && rtpMarker(f.payload)).length;
    while (markers < count) {
      const frame = this.#takeInterleaved();
      if (frame !== null) {
        frames.push(frame);
        if (frame.channel === rtpChannel && rtpMarker(frame.payload)) markers++;
        continue;
      }
      if (this.#buffer.length > 0 && this.#buffer[0] !== DOLLAR) {
        throw new Error("Cannot read interleaved frames: the server sent something else");
      }
      if (!await this.#fill(deadline)) break;
    }
    return frames;
  }

  /**
   * Reads as fast as the data comes until `untilMs` (Date.now()), counting RTP frames on channel
   * 0 without keeping them: the cheap reader of the benchmark. `live.frames` follows the count
   * while it reads.
   */
  async countFrames(untilMs: number, live: { frames: number } = { frames: 0 }): Promise<number> {
    const chunk = new Uint8Array(256 * 1024);
    let frames = this.interleaved.filter((f) => f.channel === 0 && rtpMarker(f.payload)).length;
    this.interleaved.length = 0;
    let pending: Uint8Array<ArrayBufferLike> = this.#buffer;
    this.#buffer = new Uint8Array(0);
    // Bytes of the current frame's payload still to skip, and its header bytes seen so far.
    let skip = 0;
    let header: number[] = [];
    const consume = (bytes: Uint8Array) => {
      let at = 0;
      while (at < bytes.length) {
        if (skip > 0) {
          const take = Math.min(skip, bytes.length - at);
          skip -= take;
          at += take;
          continue;
        }
        header.push(bytes[at++]);
        // $, channel, length (2), then the RTP header's first two bytes.
        if (header.length === 6) {
          const length = (header[2] << 8) | header[3];
          if (header[1] === 0 && (header[5] & 0x80) !== 0) live.frames = ++frames;
          skip = Math.max(0, length - 2);
          header = [];
        }
      }
    };
    consume(pending);
    pending = new Uint8Array(0);
    const timer = setTimeout(() => this.close(), Math.max(0, untilMs - Date.now()));
    try {
      for (;;) {
        const n = await this.conn.read(chunk);
        if (n === null) break;
        consume(chunk.subarray(0, n));
      }
    } catch { /* closed at the deadline */ }
    clearTimeout(timer);
    return frames;
  }

  /** Closes the connection. Idempotent. */
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed already */ }
  }

  #takeInterleaved(): InterleavedFrame | null {
    const buffer = this.#buffer;
    if (buffer.length < 4 || buffer[0] !== DOLLAR) return null;
    const length = (buffer[2] << 8) | buffer[3];
    if (buffer.length < 4 + length) return null;
    const frame = { channel: buffer[1], payload: buffer.slice(4, 4 + length) };
    this.#buffer = buffer.subarray(4 + length);
    return frame;
  }

  /** Reads more bytes; false when the connection ended or the deadline passed. */
  async #fill(deadline: number): Promise<boolean> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    const chunk = new Uint8Array(64 * 1024);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) =>
      timer = setTimeout(() => resolve(null), remaining)
    );
    try {
      const n = await Promise.race([this.conn.read(chunk), timeout]);
      if (n === null) {
        return false;
      }
      this.#buffer = concat(this.#buffer, chunk.subarray(0, n));
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
