// The effect codec on synthetic records (no engine): a send_datagram record whose payload came
// in the batch copy takes the copied effect (decoded once), in record order, with the record's
// PMTU-probe flag; other records decode as usual.
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { EffectKind, Layout as L } from "../ffi/abi.ts";
import type { FfiRuntime } from "../runtimes/ffi_types.ts";
import { type CopiedDatagrams, decodeEffect } from "../quic/codec.ts";
import type { SendDatagramEffect } from "../quic/effects.ts";

const noCopies = { copyOut: () => assert.fail("no payload may be copied") } as unknown as FfiRuntime;

/** Records of these kinds, connection 7; the send_datagram ones flagged as PMTU probes when `probe`. */
function records(kinds: number[], probe: boolean[] = []): DataView {
  const view = new DataView(new ArrayBuffer(L.Effect.size * kinds.length));
  kinds.forEach((kind, i) => {
    const base = i * L.Effect.size;
    view.setUint8(base + L.Effect.kind, kind);
    view.setBigUint64(base + L.Effect.connection, 7n, true);
    if (kind === EffectKind.SEND_DATAGRAM) view.setUint8(base + L.Effect.send_datagram.is_pmtu_probe, probe[i] ? 1 : 0);
    if (kind === EffectKind.RECEIVE_STREAM_DATA) {
      view.setBigUint64(base + L.Effect.receive_stream_data.stream_id, 4n, true);
    }
  });
  return view;
}

function copiedSend(n: number): SendDatagramEffect {
  return {
    kind: "send_datagram",
    connection: 7n,
    routeHandle: 1n,
    bytes: new Uint8Array([n]),
    ecn: 0,
    isPmtuProbe: false,
  };
}

test("codec: send_datagram records take the batch-copied effects, in order, once", () => {
  const S = EffectKind.SEND_DATAGRAM, R = EffectKind.RECEIVE_STREAM_DATA;
  const view = records([S, R, S], [true, false, false]);
  const list = [copiedSend(1), copiedSend(2)];
  const copied: CopiedDatagrams = { list, next: 0 };
  const effects = [0, 1, 2].map((i) => decodeEffect(noCopies, view, i * L.Effect.size, copied));
  assert.equal(effects[0], list[0], "the copied effect itself, not a second decode");
  assert.equal(effects[2], list[1]);
  assert.equal(copied.next, 2);
  assert.equal(list[0].isPmtuProbe, true, "the record's PMTU-probe flag");
  assert.equal(list[1].isPmtuProbe, false);
  assert.equal(effects[1].kind, "receive_stream_data");
  assert.equal((effects[1] as { streamId: bigint }).streamId, 4n);
  assert.throws(() => decodeEffect(noCopies, view, 0, copied), /more send_datagram records than copied datagrams/);
});
