/**
 * The files the programs write because the user named them: `--record` and `--save` (frames,
 * appended), `--sdp` (a small text, replaced) and the window's snapshots (new files only).
 *
 * The rules, the same for every flag:
 * - A symbolic link is never written through, nor replaced: a link planted where the user's file
 *   was expected (a shared folder) cannot aim udpcam's writes at another file. The refusal says
 *   to give the real path.
 * - Nothing is truncated. Recordings append to an existing file (a concatenation of JPEGs is
 *   still a playable MJPEG file), so a second run never destroys the first; `--sdp` replaces its
 *   file in one rename, so a player reading it never sees half of it.
 * - New recordings and snapshots are created 0600 (owner only: they are the camera's pictures);
 *   the umask can only take bits away. An existing file keeps its mode. The SDP file holds no
 *   picture and is created as any file (0666 less the umask), for players run by other users.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { UserError } from "../errors.ts";

/** Mode of new recordings and snapshots: the owner reads and writes, nobody else. */
export const PRIVATE_FILE_MODE = 0o600;

function notALink(path: string, flag: string): Deno.FileInfo | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new UserError(
      `Cannot write ${flag} ${path}. Check that the folder exists and is writable.`,
      1,
      { cause: error },
    );
  }
  if (info.isSymlink) {
    throw new UserError(
      `Cannot write ${flag} ${path}: it is a symbolic link, and udpcam does not write through ` +
        "links. Give the path of the file itself.",
    );
  }
  if (info.isDirectory) {
    throw new UserError(
      `Cannot write ${flag} ${path}: it is a folder. Give a file name in it, e.g. ` +
        `${join(path, "out.mjpeg")}.`,
    );
  }
  return info;
}

/** An opened recording: the file, and how many bytes it held before this run. */
export interface AppendFile {
  /** Open for appending. */
  file: Deno.FsFile;
  /** Size of the file before this run (0 for a new file). */
  existingBytes: number;
}

/**
 * Opens `path` for appending frames (`--record`, `--save`): created 0600 when missing, appended
 * to when it exists, never truncated, refused when it is a symbolic link or a folder. FIFOs and
 * devices are opened as they are (a FIFO feeds a player).
 *
 * @throws {UserError} naming `flag` and the path; the OS error, if any, is the cause.
 */
export function openAppendFile(path: string, flag: string): AppendFile {
  const before = notALink(path, flag);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { append: true, create: true, mode: PRIVATE_FILE_MODE });
  } catch (error) {
    throw new UserError(
      `Cannot write ${flag} ${path}. Check that the folder exists and is writable.`,
      1,
      { cause: error },
    );
  }
  // Between the check and the open a link could have been put in its place: the path must still
  // name the file opened. Nothing has been written yet, so refusing now changes nothing.
  let swapped = true;
  try {
    const opened = file.statSync();
    const now = Deno.lstatSync(path);
    swapped = now.isSymlink || now.ino !== opened.ino || now.dev !== opened.dev;
  } catch { /* gone meanwhile: swapped */ }
  if (swapped) {
    file.close();
    throw new UserError(
      `Cannot write ${flag} ${path}: the file was replaced while udpcam opened it. Check who ` +
        "else writes to that folder, then run again.",
    );
  }
  return { file, existingBytes: before?.isFile ? before.size : 0 };
}

/**
 * Replaces `path` with `bytes` (`--sdp`): written to a new file beside it, then renamed over it,
 * so readers see the old file or the new one, never a part; refused when `path` is a symbolic
 * link or a folder.
 *
 * @throws {UserError} naming `flag` and the path; the OS error, if any, is the cause.
 */
export function replaceFile(path: string, flag: string, bytes: Uint8Array): void {
  notALink(path, flag);
  const folder = dirname(path);
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0].toString(16);
  const temporary = join(folder, `.${basename(path)}.${suffix}.tmp`);
  try {
    // createNew: a name someone else made (a link) in between is refused, not followed.
    Deno.writeFileSync(temporary, bytes, { createNew: true });
    // rename() replaces a link put at `path` meanwhile instead of writing through it.
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch { /* never created, or already renamed */ }
    throw new UserError(
      `Cannot write ${flag} ${path}. Check that the folder exists and is writable.`,
      1,
      { cause: error },
    );
  }
}
