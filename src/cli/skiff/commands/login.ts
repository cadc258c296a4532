// `login` and `logout`: the daemon checks the credentials (POST /auth); the CLI keeps them in
// config.json `auths` like docker (base64 `user:password`, no credential helpers).

import { serverKey } from '../../../client/index.js';
import { bool, str } from '../args.js';
import { readAll, readLine, write, type CliContext, type Command } from '../context.js';
import { configPath, readConfig, writeConfig } from '../docker-config.js';

async function prompt(ctx: CliContext, label: string, hidden: boolean): Promise<string> {
  await write(ctx.io.stdout, label);
  const stdin = ctx.io.stdin as NodeJS.ReadStream;
  if (!hidden || !ctx.io.isStdinTty || typeof stdin.setRawMode !== 'function') return (await readLine(ctx.io.stdin)).trim();
  stdin.setRawMode(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (b: Buffer): void => {
        for (const ch of b.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            stdin.pause();
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(new Error('interrupted'));
            return;
          }
          value = ch === '\u007f' ? value.slice(0, -1) : value + ch;
        }
      };
      stdin.on('data', onData);
      stdin.resume();
    });
  } finally {
    stdin.setRawMode(false);
    await write(ctx.io.stdout, '\n');
  }
}

export const login: Command = {
  path: ['login'],
  usage: '[OPTIONS] [SERVER]',
  short: 'Authenticate to a registry',
  flags: [
    { name: 'username', short: 'u', kind: 'string', valueName: 'string', help: 'Username' },
    { name: 'password', short: 'p', kind: 'string', valueName: 'string', help: 'Password or Personal Access Token (PAT)' },
    { name: 'password-stdin', kind: 'bool', help: 'Take the Password or Personal Access Token (PAT) from stdin' },
  ],
  args: { max: 1 },
  async run(ctx, p) {
    let username = str(p, 'username');
    let password = str(p, 'password');
    if (password !== undefined) await write(ctx.io.stderr, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (bool(p, 'password-stdin')) {
      if (password !== undefined) throw new Error('--password and --password-stdin are mutually exclusive');
      if (username === undefined) throw new Error('Must provide --username with --password-stdin');
      password = (await readAll(ctx.io.stdin)).replace(/[\r\n]+$/, '');
    }
    const key = serverKey(p.args[0]);
    if (username === undefined || username === '') username = await prompt(ctx, 'Username: ', false);
    if (username === '') throw new Error('Error: Non-null Username Required');
    if (password === undefined || password === '') password = await prompt(ctx, 'Password: ', true);
    if (password === '') throw new Error('Error: Password Required');
    const response = await ctx.client().auth({ username, password, serveraddress: key });
    const config = readConfig(ctx.env);
    const identityToken = response.IdentityToken ?? '';
    config.auths = {
      ...(config.auths ?? {}),
      [key]: identityToken !== ''
        ? { auth: Buffer.from(`${username}:`).toString('base64'), identitytoken: identityToken }
        : { auth: Buffer.from(`${username}:${password}`).toString('base64') },
    };
    writeConfig(ctx.env, config);
    await write(ctx.io.stderr, `\nWARNING! Your credentials are stored unencrypted in '${configPath(ctx.env)}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
    await write(ctx.io.stdout, `${response.Status === '' ? 'Login Succeeded' : response.Status}\n`);
    return 0;
  },
};

export const logout: Command = {
  path: ['logout'],
  usage: '[SERVER]',
  short: 'Log out from a registry',
  flags: [],
  args: { max: 1 },
  async run(ctx, p) {
    const key = serverKey(p.args[0]);
    await write(ctx.io.stdout, `Removing login credentials for ${key}\n`);
    const config = readConfig(ctx.env);
    if (config.auths !== undefined && key in config.auths) {
      const { [key]: _removed, ...rest } = config.auths;
      config.auths = rest;
      writeConfig(ctx.env, config);
    }
    return 0;
  },
};
