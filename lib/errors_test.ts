import { deepEqual, equal } from "node:assert/strict";
import { asError, causesOf, describeError, MAX_CAUSE_DEPTH, UserError } from "./errors.ts";

const OS_ERROR = new Error("No such file or directory (os error 2): open '/x/out.mjpeg'");

Deno.test("describeError: where a cause's text goes", () => {
  const cases: { name: string; error: unknown; want: string }[] = [
    {
      name: "no cause: the message",
      error: new UserError("Cannot listen on 0.0.0.0:5000: the port is in use. Stop it."),
      want: "Cannot listen on 0.0.0.0:5000: the port is in use. Stop it.",
    },
    {
      name: "cause before the advice",
      error: new UserError("Cannot write --record /x/out.mjpeg. Check that the folder exists.", 1, {
        cause: OS_ERROR,
      }),
      want: "Cannot write --record /x/out.mjpeg: No such file or directory (os error 2): open " +
        "'/x/out.mjpeg'. Check that the folder exists.",
    },
    {
      name: "one sentence: the cause before its full stop",
      error: new UserError("Cannot listen on [::1]:5000.", 1, {
        cause: new Error("Address family not supported (os error 97)."),
      }),
      want: "Cannot listen on [::1]:5000: Address family not supported (os error 97).",
    },
    {
      name: "no full stop: none added",
      error: new Error("Cannot read --key-file /k", { cause: new Error("Is a directory") }),
      want: "Cannot read --key-file /k: Is a directory",
    },
    {
      name: "a program prefix and the usage advice",
      error: new UserError(
        "udpcam-send: Cannot read --key-file /k. Run udpcam-send --help for usage.",
        2,
        { cause: new Error("Permission denied (os error 13)") },
      ),
      want: "udpcam-send: Cannot read --key-file /k: Permission denied (os error 13). " +
        "Run udpcam-send --help for usage.",
    },
    {
      name: "a chain: each cause described, a nested Cannot in lower case",
      error: new UserError("Cannot start relay.", 2, {
        cause: new UserError(
          "Cannot listen on 127.0.0.1:9. Stop that program or pick another port.",
          1,
          { cause: new Error("Address in use (os error 98)") },
        ),
      }),
      want: "Cannot start relay: cannot listen on 127.0.0.1:9: Address in use (os error 98). " +
        "Stop that program or pick another port.",
    },
    {
      name: "the message gives its own reason: the cause is kept, not printed",
      error: new UserError("Cannot listen on [::]:5000: the port is in use. Stop it.", 1, {
        cause: new Error("Address in use (os error 98)"),
      }),
      want: "Cannot listen on [::]:5000: the port is in use. Stop it.",
    },
    {
      name: "a program prefix's colon is not a reason",
      error: new UserError("udpcam-recv: Cannot open [::]:5000. Stop it.", 1, {
        cause: new Error("Address in use (os error 98)"),
      }),
      want: "udpcam-recv: Cannot open [::]:5000: Address in use (os error 98). Stop it.",
    },
    {
      name: "a colon in the advice is not a reason",
      error: new Error("Cannot run ffmpeg. Try: ffmpeg -version", { cause: new Error("gone") }),
      want: "Cannot run ffmpeg: gone. Try: ffmpeg -version",
    },
    {
      name: "the message already holds the cause's message: as it is",
      error: new Error("Cannot run ffmpeg. It said gone", { cause: new Error("gone") }),
      want: "Cannot run ffmpeg. It said gone",
    },
    {
      name: "the loader's summary: its own reason, the attempts in the cause",
      error: new UserError("Cannot load the SDL2 library (tried a.so, b.so): install it.", 1, {
        cause: new AggregateError(
          [new Error("a.so: no"), new Error("b.so: no")],
          "tried a.so, b.so",
        ),
      }),
      want: "Cannot load the SDL2 library (tried a.so, b.so): install it.",
    },
    {
      name: "a cause that is not an Error",
      error: new Error("Cannot decode.", { cause: "bad marker" }),
      want: "Cannot decode: bad marker.",
    },
    {
      name: "an empty cause message adds nothing",
      error: new Error("Cannot decode.", { cause: new Error("") }),
      want: "Cannot decode.",
    },
    { name: "a thrown string", error: "boom", want: "boom" },
    { name: "a thrown number", error: 42, want: "42" },
  ];
  for (const { name, error, want } of cases) equal(describeError(error), want, name);
});

Deno.test("describeError and causesOf stop after MAX_CAUSE_DEPTH on a cycle", () => {
  const a = new Error("Cannot a.");
  const b = new Error("Cannot b.", { cause: a });
  a.cause = b;
  const text = describeError(a);
  // Each level adds one "cannot b" or "cannot a"; the depth bounds the count.
  equal(text.split(/cannot [ab]/).length - 1, MAX_CAUSE_DEPTH);
  equal(causesOf(a).length, MAX_CAUSE_DEPTH);
});

Deno.test("causesOf lists the chain nearest first", () => {
  const root = new Error("root");
  const middle = new Error("middle", { cause: root });
  const top = new UserError("top", 1, { cause: middle });
  deepEqual(causesOf(top), [middle, root]);
  deepEqual(causesOf(root), []);
  deepEqual(causesOf("not an error"), []);
});

Deno.test("UserError keeps its exit code and cause; asError wraps non-errors", () => {
  const cause = new Error("inner");
  const error = new UserError("Cannot x.", 2, { cause });
  equal(error.name, "UserError");
  equal(error.exitCode, 2);
  equal(error.cause, cause);
  equal(new UserError("Cannot y.").exitCode, 1);
  equal(asError(cause), cause);
  equal(asError("text").message, "text");
});
