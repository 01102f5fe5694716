import { equal, ok } from "node:assert/strict";
import { describeError, UserError } from "../errors.ts";
import {
  bindError,
  bindFailureOf,
  type BindTarget,
  UNPRIVILEGED_PORT_START,
} from "./bind_error.ts";

/** An error named as Deno names its error classes, without touching the network. */
function osError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

const UDP: BindTarget = {
  action: "listen on",
  address: { hostname: "0.0.0.0", port: 5000 },
  flag: "--listen",
  likelyHolder: "another udpcam-recv?",
};
const HTTP: BindTarget = {
  action: "serve HTTP on",
  address: { hostname: "::1", port: 80 },
  flag: "--http",
};

Deno.test("bindError: one wording per failure, the OS error kept as cause", () => {
  const cases: { name: string; target: BindTarget; error: Error; want: string }[] = [
    {
      name: "in use, with the likely holder",
      target: UDP,
      error: osError("AddrInUse", "Address in use (os error 98)"),
      want: "Cannot listen on 0.0.0.0:5000: the port is in use (another udpcam-recv?). Stop that " +
        "program or pick another port with --listen.",
    },
    {
      name: "in use, no holder named",
      target: { ...HTTP, address: { hostname: "127.0.0.1", port: 8080 } },
      error: osError("AddrInUse", "Address in use (os error 98)"),
      want: "Cannot serve HTTP on 127.0.0.1:8080: the port is in use. Stop that program or pick " +
        "another port with --http.",
    },
    {
      name: "not this machine's address",
      target: { ...UDP, address: { hostname: "203.0.113.9", port: 5000 } },
      error: osError("AddrNotAvailable", "Cannot assign requested address (os error 99)"),
      want: "Cannot listen on 203.0.113.9:5000: that address is not on this machine. Give one of " +
        "its addresses, or 0.0.0.0 (all IPv4) or [::] (all IPv6), with --listen.",
    },
    {
      name: "a privileged port: 1024 or above, not 'above 1024'",
      target: HTTP,
      error: osError("PermissionDenied", "Permission denied (os error 13)"),
      want: "Cannot serve HTTP on [::1]:80: permission denied (ports below 1024 need " +
        "privileges). Use a port of 1024 or above with --http.",
    },
    {
      name: "denied although unprivileged: no claim about port numbers",
      target: { ...UDP, address: { hostname: "0.0.0.0", port: UNPRIVILEGED_PORT_START } },
      error: osError("PermissionDenied", "Permission denied (os error 13)"),
      want: "Cannot listen on 0.0.0.0:1024: permission denied. Check what this machine's " +
        "security policy allows, or pick another port with --listen.",
    },
  ];
  for (const { name, target, error, want } of cases) {
    const made = bindError(target, error);
    ok(made instanceof UserError, name);
    equal(made.exitCode, 1, name);
    equal(made.message, want, name);
    equal(made.cause, error, name);
    // Each message gives its own reason, so the cause is not repeated when printed.
    equal(describeError(made), want, name);
  }
});

Deno.test("bindError: any other failure prints the OS's words as the reason", () => {
  const error = osError("InvalidData", "Address family not supported by protocol (os error 97)");
  const made = bindError(UDP, error);
  equal(made.message, "Cannot listen on 0.0.0.0:5000.");
  equal(
    describeError(made),
    "Cannot listen on 0.0.0.0:5000: Address family not supported by protocol (os error 97).",
  );
});

Deno.test("bindFailureOf: Deno's error names", () => {
  const cases: [unknown, string][] = [
    [new Deno.errors.AddrInUse("x"), "inUse"],
    [new Deno.errors.AddrNotAvailable("x"), "notAvailable"],
    [new Deno.errors.PermissionDenied("x"), "denied"],
    [new Deno.errors.NotCapable("x"), "other"],
    [new Error("x"), "other"],
    ["a string", "other"],
  ];
  for (const [error, want] of cases) equal(bindFailureOf(error), want, String(error));
});
