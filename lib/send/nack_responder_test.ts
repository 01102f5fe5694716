import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { NackResponder } from "./nack_responder.ts";
import { NackOpener } from "./nack_opener.ts";
import { DatagramSealer, RootKey } from "../crypto/mod.ts";
import { encodeNack, Flags, RetransmitHistory, V1Packetizer } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";

const STREAM_ID = 0x0a0b0c0d;
const KEY = "correct horse battery staple";
/** Few PBKDF2 rounds: the tests are about NACKs, not key strength. */
const ITERATIONS = 1000;

/**
 * A history for destinations 0..2 holding frame 0 of STREAM_ID, 5 fragments; returns it and those
 * fragments.
 */
function historyWithOneFrame(): { history: RetransmitHistory; fragments: Uint8Array[] } {
  const history = new RetransmitHistory(STREAM_ID, { requesters: 3 });
  const fragments = new V1Packetizer(STREAM_ID, 600).packetize(new Uint8Array(2500).fill(7), 1);
  equal(fragments.length, 5);
  // Recording banks half the frame's bytes for retransmissions: two fragments' worth.
  history.record(fragments, 0);
  return { history, fragments };
}

/** A NACK for fragments `first`..`first + count - 1` of frame 0. */
function nackFor(first: number, count: number, frameSeq = 0): Uint8Array {
  return encodeNack({
    streamId: STREAM_ID,
    frameSeq,
    fragmentCount: 5,
    ranges: [{ first, count }],
  });
}

/** Sends as `[destination, fragment index, retransmission flag]`. */
type Sent = [number, number, boolean][];

function responderFor(
  history: RetransmitHistory | null,
  opener: NackOpener | null,
  repairGate?: (bytes: number, destination: number, nowMs: number) => boolean,
) {
  const sent: Sent = [];
  const responder = new NackResponder({
    history,
    opener,
    nowMs: () => 10,
    repairGate,
    sendTo: (datagram, destination) =>
      sent.push([
        destination,
        new DataView(datagram.buffer, datagram.byteOffset).getUint16(6),
        (datagram[4] & Flags.Retransmission) !== 0,
      ]),
  });
  return { responder, sent };
}

Deno.test("NackResponder without --key: what is answered, refused or ignored, and counted where", () => {
  const table: {
    name: string;
    datagram: (fragments: Uint8Array[]) => Uint8Array;
    from: number;
    sent: Sent;
    nacksReceived: number;
    nacksInvalid: number;
  }[] = [
    {
      name: "a NACK from destination 1 is answered to destination 1 only",
      datagram: () => nackFor(1, 2),
      from: 1,
      sent: [[1, 1, true], [1, 2, true]],
      nacksReceived: 1,
      nacksInvalid: 0,
    },
    {
      name: "a NACK from none of the destinations is refused and counted",
      datagram: () => nackFor(1, 2),
      from: -1,
      sent: [],
      nacksReceived: 1,
      nacksInvalid: 1,
    },
    {
      name: "a NACK for a frame not in the history is invalid",
      datagram: () => nackFor(0, 1, 99),
      from: 0,
      sent: [],
      nacksReceived: 1,
      nacksInvalid: 1,
    },
    {
      name: "a data fragment coming back is no NACK: ignored",
      datagram: (fragments) => fragments[0],
      from: 0,
      sent: [],
      nacksReceived: 0,
      nacksInvalid: 0,
    },
    {
      name: "three bytes are no NACK: ignored",
      datagram: () => new Uint8Array([0x55, 0x43, 1]),
      from: 0,
      sent: [],
      nacksReceived: 0,
      nacksInvalid: 0,
    },
  ];
  for (const row of table) {
    const { history, fragments } = historyWithOneFrame();
    const { responder, sent } = responderFor(history, null);
    equal(responder.receive(row.datagram(fragments), row.from), undefined, row.name);
    deepStrictEqual(sent, row.sent, row.name);
    equal(history.counters.nacksReceived, row.nacksReceived, row.name);
    equal(history.counters.nacksInvalid, row.nacksInvalid, row.name);
  }
});

Deno.test("NackResponder without a history (--no-nack, legacy, rtp) ignores even NACKs", () => {
  const { responder, sent } = responderFor(null, null);
  equal(responder.receive(nackFor(0, 1), 0), undefined);
  equal(responder.receive(nackFor(0, 1), -1), undefined);
  deepStrictEqual(sent, []);
});

Deno.test("NackResponder with --key: sealed NACKs are opened then answered; the rest refused by reason", async () => {
  const { history } = historyWithOneFrame();
  const root = await RootKey.derive(KEY, ITERATIONS);
  const opener = new NackOpener(root, 3);
  const { responder, sent } = responderFor(history, opener);
  const sealer = await DatagramSealer.create(root, { startMs: Date.now() });
  const sealed = await sealer.seal(nackFor(3, 2));

  // Plain NACK to a keyed sender: refused before the history sees it.
  await responder.receive(nackFor(3, 2), 0);
  deepStrictEqual(opener.counters, {
    unauthenticated: 1,
    keyPending: 0,
    authFailed: 0,
    replay: 0,
    staleSession: 0,
    sealVersion: 0,
  });
  equal(history.counters.nacksReceived, 0);

  // From none of the destinations: refused by the history, never opened.
  equal(responder.receive(sealed, -1), undefined);
  equal(history.counters.nacksInvalid, 1);

  // Sealed, from destination 2: opened (its receiver's salt tried on it) and answered to 2 only.
  await responder.receive(sealed, 2);
  equal(opener.counters.keyPending, 0);
  deepStrictEqual(sent, [[2, 3, true], [2, 4, true]]);
  equal(history.counters.nacksReceived, 2);

  // The same sealed NACK again is a replay; a tampered one fails authentication.
  await responder.receive(sealed, 2);
  const tampered = await sealer.seal(nackFor(0, 1));
  tampered[tampered.length - 1] ^= 1;
  await responder.receive(tampered, 2);
  equal(opener.counters.replay, 1);
  equal(opener.counters.authFailed, 1);
  equal(sent.length, 2, "nothing more was sent");
  equal(history.counters.nacksReceived, 2);
});

Deno.test("NackResponder fuzz: every NACK-looking datagram is counted once, by the history or the opener", async () => {
  const root = await RootKey.derive(KEY, ITERATIONS);
  const sealer = await DatagramSealer.create(root, { startMs: Date.now() });
  for (const keyed of [false, true]) {
    const random = new Prng(keyed ? 17 : 16);
    const { history, fragments } = historyWithOneFrame();
    const opener = keyed ? new NackOpener(root, 3) : null;
    const { responder, sent } = responderFor(history, opener);
    let nackLooking = 0;
    const sentTo: number[] = [];
    for (let i = 0; i < 400; i++) {
      const kind = random.int(0, 4);
      const from = random.int(-1, 2);
      let datagram: Uint8Array;
      if (kind === 0) datagram = fragments[random.int(0, 4)];
      else if (kind === 1) {
        datagram = new Uint8Array(random.int(0, 40));
        for (let j = 0; j < datagram.length; j++) datagram[j] = random.int(0, 255);
      } else {
        const first = random.int(0, 4);
        datagram = nackFor(first, random.int(1, 5 - first), random.int(0, 1));
        if (kind === 4 && keyed) datagram = await sealer.seal(datagram);
      }
      if (RetransmitHistory.isNack(datagram)) nackLooking++;
      const before = sent.length;
      await responder.receive(datagram, from);
      for (let j = before; j < sent.length; j++) sentTo.push(from);
    }
    const refusedByOpener = opener === null
      ? 0
      : Object.values(opener.counters).reduce((sum, count) => sum + count, 0);
    equal(history.counters.nacksReceived + refusedByOpener, nackLooking, `keyed: ${keyed}`);
    deepStrictEqual(sent.map(([destination]) => destination), sentTo, "answers go to the asker");
    ok(sentTo.every((destination) => destination >= 0), "nothing goes to an unknown source");
  }
});

Deno.test("NackResponder: each destination spends its own budget, and the repair gate has the last word", () => {
  const { history } = historyWithOneFrame();
  const asked: [number, number][] = [];
  const { responder, sent } = responderFor(history, null, (bytes, destination) => {
    asked.push([bytes, destination]);
    return destination !== 2; // The budget refuses repairs to destination 2.
  });
  // Destination 0 spends its two fragments' worth; destination 1 still gets its answer.
  responder.receive(nackFor(0, 5), 0);
  responder.receive(nackFor(3, 1), 1);
  responder.receive(nackFor(4, 1), 2);
  deepStrictEqual(sent, [[0, 0, true], [0, 1, true], [1, 3, true]]);
  deepStrictEqual(asked.map(([, destination]) => destination), [0, 0, 1, 2]);
  ok(asked.every(([bytes]) => bytes === 530), "the gate is asked with each copy's bytes");
});
