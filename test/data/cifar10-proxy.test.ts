import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCifar10 } from '../../src/data/cifar10.js';
import { UserError } from '../../src/util/errors.js';
import { ensureBuilt } from '../helpers/cli.js';
import { tempDir, writeCifarArchive } from './helpers.js';

/**
 * CIFAR-10's download honours HTTPS_PROXY/HTTP_PROXY/NO_PROXY as curl and pip do. A local HTTP
 * proxy (CONNECT tunnels and absolute-URI requests, each counted) stands between the loader and a
 * local server that has the archive.
 */

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];

let work: string;
let archive: { path: string; md5: string };
let origin: Server;
let originUrl: string;
let originHits = 0;
let proxy: Server;
let proxyUrl: string;
const proxied: string[] = [];

beforeAll(async () => {
  work = tempDir('rt-cifar-proxy-');
  archive = writeCifarArchive(work, 10);
  const body = readFileSync(archive.path);
  origin = createServer((req, res) => {
    originHits++;
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/cifar.tar.gz`;

  proxy = createServer((req, res) => {
    // Absolute-URI form (plain http through a proxy): forward it.
    proxied.push(`GET ${req.url}`);
    const target = new URL(req.url!);
    const fwd = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(fwd);
  });
  proxy.on('connect', (req, socket, head) => {
    proxied.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const up = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  proxy.closeAllConnections();
  origin.closeAllConnections();
  await Promise.all([new Promise((r) => proxy.close(r)), new Promise((r) => origin.close(r))]);
  rmSync(work, { recursive: true, force: true });
});

function environment(vars: Record<string, string>): void {
  for (const v of PROXY_VARS) vi.stubEnv(v, undefined);
  vi.stubEnv('RESNET_TUTOR_CIFAR10_URL', originUrl);
  vi.stubEnv('RESNET_TUTOR_CIFAR10_MD5', archive.md5);
  for (const [k, v] of Object.entries(vars)) vi.stubEnv(k, v);
  proxied.length = 0;
  originHits = 0;
}
afterEach(() => vi.unstubAllEnvs());

async function download(): Promise<number> {
  const cacheDir = tempDir('rt-cifar-proxy-cache-');
  try {
    return (await loadCifar10({ cacheDir })).train.n;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

describe('CIFAR-10 download through a proxy', () => {
  it.each(['HTTP_PROXY', 'http_proxy', 'ALL_PROXY'])('%s: the archive comes through the proxy', async (name) => {
    environment({ [name]: proxyUrl });
    expect(await download()).toBe(50);
    expect(originHits).toBe(1);
    expect(proxied).toHaveLength(1);
    expect(proxied[0]).toMatch(new RegExp(`${new URL(originUrl).host}`));
  });

  it('NO_PROXY (a host, host:port, a list, or *) bypasses the proxy', async () => {
    const host = new URL(originUrl).host;
    for (const noProxy of ['127.0.0.1', host, `example.org, 127.0.0.1`, '*']) {
      environment({ HTTP_PROXY: proxyUrl, NO_PROXY: noProxy });
      expect(await download(), noProxy).toBe(50);
      expect(proxied, noProxy).toEqual([]);
      expect(originHits).toBe(1);
    }
    // no_proxy (lower case) too, and a NO_PROXY for another host leaves the proxy in use.
    environment({ http_proxy: proxyUrl, no_proxy: '127.0.0.1' });
    await download();
    expect(proxied).toEqual([]);
    environment({ HTTP_PROXY: proxyUrl, NO_PROXY: 'example.org' });
    await download();
    expect(proxied).toHaveLength(1);
  });

  it('HTTPS_PROXY is for https URLs only; a dead proxy is named in the error', async () => {
    environment({ HTTPS_PROXY: proxyUrl });
    await download();
    expect(proxied).toEqual([]); // an http:// source does not use HTTPS_PROXY, as with curl
    environment({ HTTP_PROXY: 'http://user:secret@127.0.0.1:9' });
    const err = await download().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/must be downloaded once.*through the proxy http:\/\/user:\*\*\*@127\.0\.0\.1:9/);
    expect((err as UserError).message).not.toContain('secret');
    expect(originHits).toBe(0);
  });
});

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

/**
 * https through HTTPS_PROXY, end to end: a CONNECT tunnel to a local TLS server whose self-signed
 * certificate the loader trusts through NODE_EXTRA_CA_CERTS (read at process start, so the loader
 * runs in a child process; this process keeps serving the proxy and the server meanwhile).
 */
describe.skipIf(!HAS_OPENSSL)('CIFAR-10 download over https through HTTPS_PROXY', () => {
  let tls: ReturnType<typeof createHttpsServer>;
  let httpsUrl: string;
  let cert: string;
  beforeAll(async () => {
    const dir = tempDir('rt-cifar-tls-');
    const key = join(dir, 'key.pem');
    cert = join(dir, 'cert.pem');
    const made = spawnSync('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'],
      ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ]);
    expect(made.status, String(made.stderr)).toBe(0);
    const body = readFileSync(archive.path);
    tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      originHits++;
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    httpsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/cifar.tar.gz`;
  });
  afterAll(async () => {
    tls.closeAllConnections();
    await new Promise((r) => tls.close(r));
  });

  async function childDownload(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    ensureBuilt();
    const loader = pathToFileURL(resolve(import.meta.dirname, '../../dist/src/data/cifar10.js')).href;
    const cacheDir = tempDir('rt-cifar-tls-cache-');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !PROXY_VARS.includes(k)));
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { loadCifar10 } = await import(${JSON.stringify(loader)}); console.log((await loadCifar10({ cacheDir: process.argv[1] })).train.n);`,
        cacheDir,
      ],
      { env: { ...clean, NODE_EXTRA_CA_CERTS: cert, RESNET_TUTOR_CIFAR10_URL: httpsUrl, RESNET_TUTOR_CIFAR10_MD5: archive.md5, ...env } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    rmSync(cacheDir, { recursive: true, force: true });
    return { code, stdout, stderr };
  }

  it('goes through the proxy as a CONNECT tunnel; NO_PROXY bypasses it', async () => {
    proxied.length = 0;
    originHits = 0;
    const via = await childDownload({ HTTPS_PROXY: proxyUrl });
    expect(via.code, via.stderr).toBe(0);
    expect(via.stdout.trim()).toBe('50');
    expect(proxied).toEqual([`CONNECT ${new URL(httpsUrl).host}`]);
    expect(originHits).toBe(1);

    proxied.length = 0;
    const direct = await childDownload({ https_proxy: proxyUrl, NO_PROXY: '127.0.0.1' });
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout.trim()).toBe('50');
    expect(proxied).toEqual([]);
    expect(originHits).toBe(2);
  });
});
