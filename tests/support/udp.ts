/**
 * Test helper for the UDP adapters' tests: reading what arrived on a real socket, bounded in time.
 *
 * @module
 */

/** Receives up to `count` datagrams on `conn`, waiting at most 500 ms for each. */
export async function receiveUpTo(
  conn: Deno.DatagramConn,
  count: number,
): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  while (got.length < count) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 500));
    const received = await Promise.race([conn.receive(), timeout]);
    clearTimeout(timer);
    if (received === null) break;
    got.push(received[0]);
  }
  return got;
}
