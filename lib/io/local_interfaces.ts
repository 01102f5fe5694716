/**
 * This machine's network addresses, for printing URLs others can reach (`--http`).
 *
 * @module
 */

/**
 * This machine's interfaces (`Deno.networkInterfaces()`), or none when the OS or the permissions
 * (`--allow-sys`) will not say: the caller then prints only the URLs it knows without them.
 */
export function localInterfaces(): Deno.NetworkInterfaceInfo[] {
  try {
    return Deno.networkInterfaces();
  } catch {
    return [];
  }
}
