import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { describeError, UserError } from "../errors.ts";
import { openAppendFile, PRIVATE_FILE_MODE, replaceFile } from "./output_file.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

async function inTempDir(body: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-output-file-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function appendText(path: string, text: string): number {
  const { file, existingBytes } = openAppendFile(path, "--record");
  try {
    file.writeSync(bytes(text));
  } finally {
    file.close();
  }
  return existingBytes;
}

Deno.test("openAppendFile: creates 0600, appends to what is there, never truncates", async () => {
  await inTempDir((dir) => {
    const path = `${dir}/out.mjpeg`;
    equal(appendText(path, "first "), 0);
    equal(Deno.statSync(path).mode! & 0o777, PRIVATE_FILE_MODE);
    equal(appendText(path, "second"), 6);
    equal(Deno.readTextFileSync(path), "first second");
    // An existing file keeps its own mode.
    Deno.chmodSync(path, 0o640);
    appendText(path, "!");
    equal(Deno.statSync(path).mode! & 0o777, 0o640);
  });
});

Deno.test("openAppendFile and replaceFile refuse links and folders, and say what to do", async () => {
  await inTempDir((dir) => {
    Deno.writeTextFileSync(`${dir}/victim`, "keep me");
    Deno.symlinkSync(`${dir}/victim`, `${dir}/link`);
    Deno.symlinkSync(`${dir}/nowhere`, `${dir}/dangling`);
    Deno.mkdirSync(`${dir}/folder`);
    const writers: [string, (path: string) => void][] = [
      ["--record", (path) => openAppendFile(path, "--record").file.close()],
      ["--sdp", (path) => replaceFile(path, "--sdp", bytes("v=0\r\n"))],
    ];
    const table: [string, RegExp][] = [
      ["link", /: it is a symbolic link, and udpcam does not write through links\. Give the path/],
      ["dangling", /: it is a symbolic link/],
      ["folder", /: it is a folder\. Give a file name in it, e\.g\. .*folder\/out\.mjpeg\./],
    ];
    for (const [flag, write] of writers) {
      for (const [name, expected] of table) {
        throws(() => write(`${dir}/${name}`), (error: unknown) => {
          ok(error instanceof UserError);
          equal(error.exitCode, 1);
          match(error.message, new RegExp(`^Cannot write ${flag} ${dir}/${name}`));
          match(error.message, expected);
          return true;
        }, `${flag} ${name}`);
      }
    }
    equal(Deno.readTextFileSync(`${dir}/victim`), "keep me");
    ok(!existsSync(`${dir}/nowhere`), "a dangling link's target was created");
    deepStrictEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
      ["dangling", "folder", "link", "victim"],
    );
  });
});

Deno.test("replaceFile replaces the whole file and leaves nothing beside it", async () => {
  await inTempDir((dir) => {
    const path = `${dir}/stream.sdp`;
    Deno.writeTextFileSync(path, "a much longer old text than the new one\n");
    replaceFile(path, "--sdp", bytes("v=0\r\n"));
    equal(Deno.readTextFileSync(path), "v=0\r\n");
    deepStrictEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["stream.sdp"]);
  });
});

Deno.test("a missing folder is a UserError with the OS error as cause", () => {
  const cases: [string, () => void][] = [
    ["--record", () => openAppendFile("/nonexistent-udpcam-dir/out.mjpeg", "--record")],
    ["--sdp", () => replaceFile("/nonexistent-udpcam-dir/out.mjpeg", "--sdp", bytes(""))],
  ];
  for (const [flag, write] of cases) {
    throws(write, (error: unknown) => {
      ok(error instanceof UserError);
      ok(error.cause instanceof Deno.errors.NotFound, String(error.cause));
      equal(
        describeError(error),
        `Cannot write ${flag} /nonexistent-udpcam-dir/out.mjpeg: ${error.cause.message}. ` +
          "Check that the folder exists and is writable.",
      );
      return true;
    }, flag);
  }
});

function existsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
