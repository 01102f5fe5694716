/**
 * The RTSP Transport header (RFC 2326 §12.39): what a client asks for in SETUP, and what the
 * server answers.
 *
 * ```text
 * Transport: spec *("," spec)
 * spec:      RTP/AVP[/UDP] ;unicast ;client_port=rtp[-rtcp]    (UDP to the client's ports)
 *            RTP/AVP/TCP   ;unicast [;interleaved=rtp[-rtcp]]  (frames inside the RTSP connection)
 *            ... [;mode=play | ;mode="PLAY"] [;ssrc=X] [;destination=...] [;other=...]
 * ```
 *
 * A client may offer several specs in order of preference; {@linkcode chooseTransport} takes the
 * first one this server can serve. Refused: multicast (this server only sends unicast), profiles
 * other than AVP (AVPF, SAVP), a mode other than PLAY (RECORD), UDP without `client_port`, and
 * out-of-range ports or channels. A spec without `unicast` or `multicast` counts as unicast, the
 * only thing a client of this server can mean. `destination` is ignored: the stream always goes to
 * the address of the RTSP connection's peer, so SETUP cannot aim a stream at a third party.
 * Unknown parameters are ignored, as the RFC asks.
 *
 * @module
 */

/** Why a transport spec is refused. */
export const TRANSPORT_REFUSALS = [
  "syntax",
  "profile",
  "multicast",
  "mode",
  "clientPort",
  "channels",
] as const;
/** A reason a transport spec is refused. */
export type TransportRefusal = typeof TRANSPORT_REFUSALS[number];

/** A transport spec the server can serve, as the client asked for it. */
export type RequestedTransport =
  | {
    /** RTP and RTCP over UDP to the client's ports. */
    lower: "udp";
    /** Client port for RTP. */
    clientRtpPort: number;
    /** Client port for RTCP (RTP port + 1 when the client named one port). */
    clientRtcpPort: number;
  }
  | {
    /** RTP and RTCP as interleaved frames in the RTSP connection. */
    lower: "tcp";
    /** Channels the client asked for, or null to let the server choose. */
    channels: { rtp: number; rtcp: number } | null;
  };

/** One spec of a Transport header: usable, or refused with a reason. */
export type TransportOffer =
  | { ok: true; transport: RequestedTransport }
  | { ok: false; reason: TransportRefusal };

/** Most specs read from one header; a client offering more is not asking in good faith. */
export const MAX_TRANSPORT_SPECS = 8;

/** Splits on commas outside double quotes (a mode list may be quoted and contain commas). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** "a" or "a-b" with both in `min..max`; a lone `a` pairs with a + 1. */
function parsePair(
  text: string,
  min: number,
  max: number,
): { first: number; second: number } | null {
  const match = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(text);
  if (match === null) return null;
  const first = Number(match[1]);
  const second = match[2] === undefined ? first + 1 : Number(match[2]);
  if (first < min || first > max || second < min || second > max) return null;
  return { first, second };
}

function parseSpec(spec: string): TransportOffer {
  const [protocol, ...parameters] = spec.split(";").map((part) => part.trim());
  const profile = protocol.toUpperCase();
  let lower: "udp" | "tcp";
  if (profile === "RTP/AVP" || profile === "RTP/AVP/UDP") lower = "udp";
  else if (profile === "RTP/AVP/TCP") lower = "tcp";
  else if (/^[A-Z0-9]+\/[A-Z0-9]+(\/[A-Z0-9]+)?$/.test(profile)) {
    return { ok: false, reason: "profile" };
  } else return { ok: false, reason: "syntax" };
  let clientPorts: { first: number; second: number } | null = null;
  let channels: { first: number; second: number } | null = null;
  for (const parameter of parameters) {
    if (parameter === "") continue;
    const equals = parameter.indexOf("=");
    const name = (equals < 0 ? parameter : parameter.slice(0, equals)).trim().toLowerCase();
    const value = equals < 0 ? "" : parameter.slice(equals + 1).trim();
    switch (name) {
      case "multicast":
        return { ok: false, reason: "multicast" };
      case "mode": {
        const modes = value.replace(/^"|"$/g, "").split(",").map((m) => m.trim().toUpperCase());
        if (modes.some((mode) => mode !== "PLAY")) return { ok: false, reason: "mode" };
        break;
      }
      case "client_port":
        clientPorts = parsePair(value, 1, 65535);
        if (clientPorts === null) return { ok: false, reason: "clientPort" };
        break;
      case "interleaved":
        channels = parsePair(value, 0, 255);
        if (channels === null) return { ok: false, reason: "channels" };
        break;
    }
  }
  if (lower === "udp") {
    if (clientPorts === null) return { ok: false, reason: "clientPort" };
    return {
      ok: true,
      transport: { lower, clientRtpPort: clientPorts.first, clientRtcpPort: clientPorts.second },
    };
  }
  return {
    ok: true,
    transport: {
      lower,
      channels: channels === null ? null : { rtp: channels.first, rtcp: channels.second },
    },
  };
}

/**
 * Parses a Transport header value into its specs, in the client's order of preference (at most
 * {@linkcode MAX_TRANSPORT_SPECS}). Never throws.
 */
export function parseTransportHeader(value: string): TransportOffer[] {
  return splitOutsideQuotes(value, ",")
    .map((spec) => spec.trim())
    .filter((spec) => spec !== "")
    .slice(0, MAX_TRANSPORT_SPECS)
    .map(parseSpec);
}

/** What {@linkcode chooseTransport} decided. */
export type TransportChoice =
  | { ok: true; transport: RequestedTransport }
  | { ok: false; reason: TransportRefusal | "udpDisabled" | "missing" };

/**
 * The first spec of a Transport header this server can serve, or why none can be: the reason of
 * the first refused spec, `udpDisabled` when only UDP was offered and the server has no UDP ports,
 * or `missing` for an empty header. Every refusal is answered 461.
 *
 * @example A client offering TCP first
 * ```ts
 * import { chooseTransport } from "./transport.ts";
 *
 * const choice = chooseTransport("RTP/AVP/TCP;unicast;interleaved=0-1", { udp: true });
 * console.log(choice.ok && choice.transport.lower); // "tcp"
 * ```
 */
export function chooseTransport(value: string, server: { udp: boolean }): TransportChoice {
  const offers = parseTransportHeader(value);
  let refusal: TransportChoice | null = null;
  for (const offer of offers) {
    if (!offer.ok) {
      refusal ??= offer;
      continue;
    }
    if (offer.transport.lower === "udp" && !server.udp) {
      refusal ??= { ok: false, reason: "udpDisabled" };
      continue;
    }
    return offer;
  }
  return refusal ?? { ok: false, reason: "missing" };
}

/** The transport a session got, for the SETUP reply. */
export type ServedTransport =
  | {
    /** UDP. */
    lower: "udp";
    /** Client's RTP port. */
    clientRtpPort: number;
    /** Client's RTCP port. */
    clientRtcpPort: number;
    /** The server's RTP port (where RTP comes from). */
    serverRtpPort: number;
    /** The server's RTCP port (where receiver reports go). */
    serverRtcpPort: number;
  }
  | {
    /** Interleaved in the RTSP connection. */
    lower: "tcp";
    /** Channel of RTP frames. */
    rtpChannel: number;
    /** Channel of RTCP frames. */
    rtcpChannel: number;
  };

/** The Transport header value of a SETUP reply, with the stream's SSRC as 8 hex digits. */
export function formatTransport(transport: ServedTransport, ssrc: number): string {
  const ssrcHex = (ssrc >>> 0).toString(16).toUpperCase().padStart(8, "0");
  if (transport.lower === "udp") {
    return `RTP/AVP;unicast;client_port=${transport.clientRtpPort}-${transport.clientRtcpPort};` +
      `server_port=${transport.serverRtpPort}-${transport.serverRtcpPort};ssrc=${ssrcHex}`;
  }
  return `RTP/AVP/TCP;unicast;interleaved=${transport.rtpChannel}-${transport.rtcpChannel};` +
    `ssrc=${ssrcHex}`;
}

/** The lowest even channel pair (n, n + 1) not in `used`, or null when all 128 are taken. */
export function freeChannelPair(used: ReadonlySet<number>): { rtp: number; rtcp: number } | null {
  for (let rtp = 0; rtp < 256; rtp += 2) {
    if (!used.has(rtp) && !used.has(rtp + 1)) return { rtp, rtcp: rtp + 1 };
  }
  return null;
}
