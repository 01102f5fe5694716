import { equal, ok, throws } from "node:assert/strict";
import { describeError, UserError } from "../errors.ts";
import { createOutputFile } from "./run_main.ts";

Deno.test("createOutputFile: a missing folder is a UserError with the OS error as cause", () => {
  throws(
    () => createOutputFile("/nonexistent-udpcam-dir/out.mjpeg", "--record"),
    (error: unknown) => {
      ok(error instanceof UserError);
      ok(error.cause instanceof Deno.errors.NotFound, String(error.cause));
      equal(
        describeError(error),
        `Cannot write --record /nonexistent-udpcam-dir/out.mjpeg: ${error.cause.message}. ` +
          "Check that the folder exists and is writable.",
      );
      return true;
    },
  );
});
