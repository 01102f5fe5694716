import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { NotRegularFileError, readSecretFileSync, readSmallFileSync } from "./secret_file.ts";

Deno.test("readSmallFileSync: at most max + 1 bytes, exactly; regular files only, refused before opening", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/users`;
    await Deno.writeTextFile(path, "cam:s3cret\n" + "x".repeat(10_000));
    equal(readSmallFileSync(path, 16).length, 17);
    equal(new TextDecoder().decode(readSmallFileSync(path, 100_000)).slice(0, 10), "cam:s3cret");
    await Deno.writeFile(`${dir}/binary`, new Uint8Array([0xff, 0x00, 0xfe]));
    deepEqual([...readSmallFileSync(`${dir}/binary`, 16)], [0xff, 0x00, 0xfe]);
    await Deno.symlink(path, `${dir}/link`);
    equal(readSmallFileSync(`${dir}/link`, 4).length, 5);
    const fifo = new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).outputSync();
    ok(fifo.success, "mkfifo (coreutils) must run");
    const refused: [string, RegExp][] = [
      [dir, /a directory, not a regular file/],
      [`${dir}/fifo`, /a named pipe \(FIFO\), not a regular file/],
      ["/dev/zero", /a character device, not a regular file/],
    ];
    for (const [where, message] of refused) {
      throws(() => readSmallFileSync(where, 16), (error: unknown) => {
        ok(error instanceof NotRegularFileError, where);
        return message.test((error as Error).message);
      });
    }
    throws(() => readSmallFileSync(`${dir}/missing`, 16), Deno.errors.NotFound);
    deepEqual(readSecretFileSync(path, 16), { kind: "tooLarge", maxBytes: 16 });
    deepEqual(readSecretFileSync(`${dir}/fifo`, 16), { kind: "notRegular" });
    equal((readSecretFileSync(`${dir}/missing`, 16) as { kind: string }).kind, "unreadable");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
