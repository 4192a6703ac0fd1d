import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** One RESP reply: simple/bulk strings, integers, arrays, errors (as RespError), or null. */
export type RespValue = string | number | null | RespError | RespValue[];

export class RespError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/**
 * Sends commands to the Redis at `url` over one connection and returns their replies in order.
 * AUTH (from the URL's user/password) and SELECT (from its path) are sent first. This is a tiny
 * RESP2 client for health checks only; the application uses ioredis.
 */
export async function redisCommands(url: string, commands: readonly (readonly string[])[], timeoutMs = 2000): Promise<RespValue[]> {
  const parsed = new URL(url);
  const preamble: string[][] = [];
  const password = decodeURIComponent(parsed.password);
  const username = decodeURIComponent(parsed.username);
  if (password) preamble.push(username ? ['AUTH', username, password] : ['AUTH', password]);
  const db = parsed.pathname.replace(/^\//, '');
  if (db && db !== '0') preamble.push(['SELECT', db]);
  const all = [...preamble, ...commands];
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = parsed.port ? Number(parsed.port) : 6379;
  const socket: Socket =
    parsed.protocol === 'rediss:' ? connectTls({ host, port, servername: host }) : connectTcp({ host, port });
  const replies = await new Promise<RespValue[]>((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const out: RespValue[] = [];
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`connection to ${host}:${port} closed`)));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (;;) {
          const parsedReply = parseReply(buffer, 0);
          if (!parsedReply) break;
          out.push(parsedReply.value);
          buffer = buffer.subarray(parsedReply.end);
          if (out.length === all.length) {
            socket.end();
            resolve(out);
            return;
          }
        }
      } catch (error) {
        socket.destroy();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.write(all.map(encodeCommand).join(''));
  }).finally(() => socket.destroy());
  for (const [index, reply] of replies.slice(0, preamble.length).entries()) {
    if (reply instanceof RespError) throw new Error(`${preamble[index]?.[0] ?? 'command'}: ${reply.message}`);
  }
  return replies.slice(preamble.length);
}

function encodeCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

function parseReply(buffer: Buffer, start: number): { value: RespValue; end: number } | null {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buffer[start] ?? 0);
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return null;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let position = next;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buffer, position);
        if (!item) return null;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      throw new Error(`not a Redis reply (starts with ${JSON.stringify(type)})`);
  }
}

/** Parses the `field:value` lines of an INFO reply. */
export function parseInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}
