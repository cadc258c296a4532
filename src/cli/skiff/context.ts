// What every verb gets: the daemon client (created on first use), the three standard streams with
// their terminal facts, the environment, and the name the CLI was invoked as (for usage texts).

import type { Readable, Writable } from 'node:stream';
import { DockerClient } from '../../client/index.js';
import type { FlagSpec, ParsedArgs } from './args.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  isStdoutTty: boolean;
  isStdinTty: boolean;
  columns: number | undefined;
}

export interface CliContext {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  /** `-H` if given, else DOCKER_HOST. */
  host: string | undefined;
  client(): DockerClient;
}

export interface ArgRule {
  min?: number;
  max?: number;
  exact?: number;
}

export interface Command {
  /** Canonical path, e.g. ['image', 'ls']. */
  path: string[];
  /** Other paths that reach the same verb (['images'], ['image', 'list']). */
  aliases?: string[][];
  /** The part of the usage line after the command path: "[OPTIONS] IMAGE [IMAGE...]". */
  usage: string;
  short: string;
  flags: FlagSpec[];
  args: ArgRule;
  /** Flags end at the first argument (run-like verbs). */
  noInterspersed?: boolean;
  run(ctx: CliContext, parsed: ParsedArgs): Promise<number>;
}

/** Writes and waits until the stream has taken the bytes (large outputs, pipes). */
export function write(stream: Writable, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err === null || err === undefined ? resolve() : reject(err)));
  });
}

/** A status other than 0 with nothing more to print (the verb printed its errors itself). */
export class ExitStatus extends Error {
  readonly isExitStatus = true;
  constructor(readonly status: number) {
    super(`exit status ${status}`);
  }
}

/** Reads one line from stdin (for y/N prompts and login), without taking the terminal. */
export function readLine(stdin: Readable): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (chunk: Buffer | string): void => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(buf.slice(0, nl));
    };
    const onEnd = (): void => finish(buf);
    const finish = (line: string): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      resolve(line.replace(/\r$/, ''));
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

/** Reads all of stdin as text (`--password-stdin`). */
export async function readAll(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}
