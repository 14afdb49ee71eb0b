// The device protocol, in TypeScript: a JSON probe, JSON replies.
export interface Device {
  id: string;
  name: string;
  address: string;
  port: number;
}

export const PROBE: string = JSON.stringify({ cmd: 'discover', v: 1 });

// A reply's device, or null for anything that is not one.
export function parseReply(bytes: ArrayBuffer, address: string, port: number): Device | null {
  let reply: { id?: unknown; name?: unknown };
  try {
    reply = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return null;
  }
  if (typeof reply.id !== 'string' || typeof reply.name !== 'string') {
    return null;
  }
  return { id: reply.id, name: reply.name, address, port };
}
