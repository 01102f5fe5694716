import { equal, ok, throws } from "node:assert/strict";
import { writeSdpFile } from "./sdp_file.ts";
import { describeError, UserError } from "../errors.ts";

Deno.test("writeSdpFile writes the text, or says which file and why, with the OS error as cause", async () => {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-sdp-file-" });
  try {
    writeSdpFile(`${dir}/stream.sdp`, "v=0\r\n");
    equal(await Deno.readTextFile(`${dir}/stream.sdp`), "v=0\r\n");

    const path = `${dir}/missing/stream.sdp`;
    throws(() => writeSdpFile(path, "v=0\r\n"), (error: unknown) => {
      ok(error instanceof UserError);
      ok(error.cause instanceof Deno.errors.NotFound, String(error.cause));
      equal(
        describeError(error),
        `Cannot write --sdp ${path}: ${
          (error.cause as Error).message
        }. Check that the folder exists and is writable.`,
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
