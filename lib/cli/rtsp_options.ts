/**
 * The RTSP server's flags, the same on both programs: `--rtsp [HOST:]PORT`, `--rtsp-path`,
 * `--rtsp-user NAME:PASSWORD` (repeatable), `--rtsp-user-file FILE` and the `UDPCAM_RTSP_USER`
 * environment variable. The file and the variable exist so a password never has to sit in shell
 * history or in `ps` output (as with `--key-file` and `UDPCAM_KEY`).
 *
 * @module
 */

import { parseHostPort } from "../net/mod.ts";
import type { HostPort } from "../net/mod.ts";
import type { RtspCredentials } from "../rtsp/mod.ts";
import { usageError } from "./flags.ts";
import { readSmallFileSync } from "../io/secret_file.ts";

/** Environment variable read when neither `--rtsp-user` nor `--rtsp-user-file` is given. */
export const RTSP_USER_ENV = "UDPCAM_RTSP_USER";
/** Most bytes read from `--rtsp-user-file` (a few accounts, not a document). */
export const MAX_RTSP_USER_FILE_BYTES = 4096;
/** Most accounts. */
const MAX_RTSP_USERS = 16;
const MAX_NAME_CHARS = 64;
const MAX_PASSWORD_CHARS = 256;
const MAX_PATH_CHARS = 200;
/** The stream's path when `--rtsp-path` is not given. */
export const DEFAULT_RTSP_PATH = "udpcam";

/** What `--rtsp` and its companions ask for. */
export interface RtspSettings {
  /** Where the RTSP server listens. */
  listen: HostPort;
  /** The stream's path, starting with "/" ("/udpcam"). */
  path: string;
  /** Who may watch; empty: anyone who reaches the port. */
  users: RtspCredentials[];
}

/** The flags of `parseFlags` for the RTSP server. */
export const RTSP_FLAGS = {
  rtsp: { type: "string" },
  "rtsp-path": { type: "string" },
  "rtsp-user": { type: "string", multiple: true },
  "rtsp-user-file": { type: "string" },
} as const;

/** The values `parseFlags` gives for {@linkcode RTSP_FLAGS}. */
export interface RtspFlagValues {
  /** `--rtsp`. */
  rtsp?: string;
  /** `--rtsp-path`. */
  "rtsp-path"?: string;
  /** Every `--rtsp-user`. */
  "rtsp-user"?: string[];
  /** `--rtsp-user-file`. */
  "rtsp-user-file"?: string;
}

/** `--help` lines for the RTSP flags; `extra` adds lines after `--rtsp`'s. */
export function rtspHelp(extra = ""): string {
  return `RTSP server (VLC, ffplay, NVRs and media servers pull rtsp://HOST:PORT/PATH)
  --rtsp [HOST:]PORT    also serve the stream over RTSP as RTP/JPEG (UDP or TCP interleaved);
                        host 127.0.0.1 unless given: use 0.0.0.0:8554 for the LAN, with
                        --rtsp-user${extra}
  --rtsp-path PATH      the stream's path (default ${DEFAULT_RTSP_PATH}: rtsp://HOST:PORT/${DEFAULT_RTSP_PATH})
  --rtsp-user NAME:PASSWORD
                        who may watch (Digest or Basic authentication); repeat for several
  --rtsp-user-file FILE read NAME:PASSWORD lines from FILE, so passwords stay out of shell
                        history (default: environment variable ${RTSP_USER_ENV}, if set)`;
}

/**
 * The RTSP server's settings, or null without `--rtsp`.
 *
 * @param readUserFile Reads `--rtsp-user-file` (lib/io/secret_file.ts `readSmallFileSync`).
 * @throws {UserError} (usage) for a bad address, path or account, a companion flag without
 * `--rtsp`, both `--rtsp-user` and `--rtsp-user-file`, or a file that cannot be read, is not a
 * regular file or is over {@linkcode MAX_RTSP_USER_FILE_BYTES}.
 */
export function resolveRtspSettings(
  program: string,
  flags: RtspFlagValues,
  env: (name: string) => string | undefined,
  readUserFile: (path: string, maxBytes: number) => Uint8Array = readSmallFileSync,
): RtspSettings | null {
  if (flags.rtsp === undefined) {
    for (const flag of ["rtsp-path", "rtsp-user", "rtsp-user-file"] as const) {
      if (flags[flag] !== undefined) {
        throw usageError(program, `--${flag} only applies with --rtsp`);
      }
    }
    return null;
  }
  const listen = parseHostPort(flags.rtsp, "127.0.0.1");
  if (typeof listen === "string") throw usageError(program, `--rtsp ${listen}`);
  return {
    listen,
    path: rtspPath(program, flags["rtsp-path"] ?? DEFAULT_RTSP_PATH),
    users: rtspUsers(program, flags, env, readUserFile),
  };
}

function rtspPath(program: string, text: string): string {
  const path = `/${text.trim().replace(/^\/+/, "").replace(/\/+$/, "")}`;
  if (
    path === "/" || path.length > MAX_PATH_CHARS || path.includes("//") ||
    !/^[A-Za-z0-9._~/-]+$/.test(path)
  ) {
    throw usageError(
      program,
      `--rtsp-path must be a path of letters, digits, "-", ".", "_", "~" and "/", up to ` +
        `${MAX_PATH_CHARS} characters, got ${JSON.stringify(text)}`,
    );
  }
  return path;
}

function rtspUsers(
  program: string,
  flags: RtspFlagValues,
  env: (name: string) => string | undefined,
  readUserFile: (path: string, maxBytes: number) => Uint8Array,
): RtspCredentials[] {
  const given = flags["rtsp-user"];
  const file = flags["rtsp-user-file"];
  if (given !== undefined && file !== undefined) {
    throw usageError(
      program,
      "give the credentials once: --rtsp-user or --rtsp-user-file, not both",
    );
  }
  let entries: { text: string; from: string }[];
  if (given !== undefined) {
    entries = given.map((text) => ({ text, from: "--rtsp-user" }));
  } else if (file !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = readUserFile(file, MAX_RTSP_USER_FILE_BYTES);
    } catch (error) {
      throw usageError(program, `Cannot read --rtsp-user-file ${file}`, { cause: error });
    }
    if (bytes.length > MAX_RTSP_USER_FILE_BYTES) {
      throw usageError(
        program,
        `--rtsp-user-file ${file} is over ${MAX_RTSP_USER_FILE_BYTES} bytes; put only ` +
          "NAME:PASSWORD lines in it",
      );
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw usageError(program, `--rtsp-user-file ${file} is not UTF-8 text`);
    }
    // One account a line; blank lines and # comments are skipped.
    entries = text.split(/\r?\n/).filter((line) => line.trim() !== "" && !line.startsWith("#"))
      .map((line) => ({ text: line, from: `--rtsp-user-file ${file}` }));
    if (entries.length === 0) {
      throw usageError(program, `--rtsp-user-file ${file} has no NAME:PASSWORD line`);
    }
  } else {
    const fromEnv = env(RTSP_USER_ENV);
    if (fromEnv === undefined || fromEnv === "") return [];
    entries = [{ text: fromEnv, from: RTSP_USER_ENV }];
  }
  if (entries.length > MAX_RTSP_USERS) {
    throw usageError(
      program,
      `give at most ${MAX_RTSP_USERS} RTSP accounts, got ${entries.length}`,
    );
  }
  const users: RtspCredentials[] = [];
  for (const { text, from } of entries) {
    const user = parseAccount(text);
    if (typeof user === "string") {
      // Never the password: the message names the account by its user name only.
      throw usageError(program, `${from}: ${user}`);
    }
    if (users.some((u) => u.username === user.username)) {
      throw usageError(program, `${from}: user ${JSON.stringify(user.username)} is given twice`);
    }
    users.push(user);
  }
  return users;
}

/** Parses NAME:PASSWORD, or says what is wrong (without repeating the password). */
function parseAccount(text: string): RtspCredentials | string {
  const colon = text.indexOf(":");
  if (colon < 0) return "write the account as NAME:PASSWORD (no colon found)";
  const username = text.slice(0, colon);
  const password = text.slice(colon + 1);
  // deno-lint-ignore no-control-regex
  const control = /[\x00-\x1f\x7f]/;
  if (username === "" || [...username].length > MAX_NAME_CHARS || control.test(username)) {
    return `the user name must be 1 to ${MAX_NAME_CHARS} characters without control characters`;
  }
  if (password === "" || [...password].length > MAX_PASSWORD_CHARS || control.test(password)) {
    return `the password of ${JSON.stringify(username)} must be 1 to ${MAX_PASSWORD_CHARS} ` +
      "characters without control characters";
  }
  return { username, password };
}
