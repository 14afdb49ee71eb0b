// The lamp's protocol: frames of udp-proto carrying JSON.
import * as proto from 'udp-proto';

export interface Lamp {
  id: string;
  name: string;
  on: boolean;
}

export type Command = { cmd: 'hello' } | { cmd: 'power'; on: boolean };

export function encode(command: Command): ArrayBuffer {
  return proto.frame(proto.TYPE_JSON, JSON.stringify(command));
}

export function decode(bytes: ArrayBuffer): Lamp | null {
  const payload = proto.unframe(bytes);
  if (payload === null || payload.type !== proto.TYPE_JSON) {
    return null;
  }
  const lamp = JSON.parse(payload.text) as Partial<Lamp>;
  return typeof lamp.id === 'string' ? (lamp as Lamp) : null;
}
