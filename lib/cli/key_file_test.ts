import { deepStrictEqual, equal, notDeepStrictEqual, throws } from "node:assert/strict";
import { MAX_KEY_FILE_BYTES, readKeyFile, writeNewKeyFile } from "./key_file.ts";
import { parseReceiverArgs } from "./receiver_options.ts";

async function withDir(run: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-key-file-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function receiverKey(path: string): Uint8Array | null {
  const command = parseReceiverArgs(["--key-file", path]);
  if (command.kind !== "receive") throw new Error(command.kind);
  return command.options.key;
}

Deno.test("readKeyFile takes a regular file's exact bytes, at most one byte over the limit", async () => {
  await withDir((dir) => {
    const binary = new Uint8Array([0, 1, 2, 0xff, 0xfe, 0x0a, 0x80, 0x0d, 0x0a]);
    Deno.writeFileSync(`${dir}/binary`, binary);
    deepStrictEqual(readKeyFile(`${dir}/binary`), binary);
    Deno.writeFileSync(`${dir}/big`, new Uint8Array(100_000).fill(0x61));
    equal(readKeyFile(`${dir}/big`).length, MAX_KEY_FILE_BYTES + 1);
    // A symbolic link to a regular file is followed.
    Deno.symlinkSync(`${dir}/binary`, `${dir}/link`);
    deepStrictEqual(readKeyFile(`${dir}/link`), binary);
  });
});

Deno.test("readKeyFile refuses what is not a regular file, before opening it (table)", async () => {
  await withDir(async (dir) => {
    const fifo = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    equal(fifo.code, 0, "mkfifo is required for this test: install coreutils");
    const table: [string, RegExp][] = [
      ["/dev/zero", /a character device, not a regular file/],
      [`${dir}/fifo`, /a named pipe \(FIFO\), not a regular file/],
      [dir, /a directory, not a regular file/],
    ];
    // Nothing is opened: a FIFO would block here until a writer came, /dev/zero never ends.
    for (const [path, reason] of table) throws(() => readKeyFile(path), reason, path);
    throws(() => readKeyFile(`${dir}/missing`), Deno.errors.NotFound);
  });
});

Deno.test("--key-file end to end: binary files give their own keys; big ones are refused", async () => {
  await withDir((dir) => {
    // Not UTF-8: a lossy text decoding turned both into the same replacement characters.
    const a = [0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6, 0xf5, 0xf4];
    Deno.writeFileSync(`${dir}/a`, new Uint8Array(a));
    Deno.writeFileSync(`${dir}/b`, new Uint8Array(a.reverse()));
    notDeepStrictEqual(receiverKey(`${dir}/a`), receiverKey(`${dir}/b`));
    Deno.writeFileSync(`${dir}/big`, new Uint8Array(5000).fill(0x61));
    throws(() => receiverKey(`${dir}/big`), /--key-file .*big is over 4096 bytes/);
    throws(() => receiverKey("/dev/zero"), /Cannot read --key-file \/dev\/zero/);
  });
});

Deno.test("writeNewKeyFile: 256 random bits as one base64url line, mode 0600, never overwrites", async () => {
  await withDir((dir) => {
    const key = writeNewKeyFile(`${dir}/a`);
    equal(key.length, 43);
    equal(/^[A-Za-z0-9_-]{43}$/.test(key), true, key);
    deepStrictEqual(Deno.readTextFileSync(`${dir}/a`), `${key}\n`);
    equal(Deno.statSync(`${dir}/a`).mode! & 0o777, 0o600);
    // Another key each time; a file already there is left as it is.
    notDeepStrictEqual(writeNewKeyFile(`${dir}/b`), key);
    throws(() => writeNewKeyFile(`${dir}/a`), Deno.errors.AlreadyExists);
    deepStrictEqual(Deno.readTextFileSync(`${dir}/a`), `${key}\n`);
    // Both programs take it as it is: the 43 characters, less the newline.
    deepStrictEqual(receiverKey(`${dir}/a`), new TextEncoder().encode(key));
  });
});
