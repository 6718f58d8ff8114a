// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A scriptable OAuth2 token endpoint on 127.0.0.1 for tokencache's tests.
//
// oauth2-mock-server (OAuth2Issuer + OAuth2Service) issues real signed JWTs
// and answers the token grants; this wrapper adds what the C++ tests need:
//
//   - an Entra-style token path, POST /<tenant>/oauth2/v2.0/token (any
//     tenant segment; plain POST /token works too);
//   - a queue of scripted answers, consumed one per token request in arrival
//     order, applied through the library's own hooks (BeforeResponse for
//     status/body/headers, BeforeTokenSigning for JWT claims); answers the
//     library cannot produce (malformed bodies, dropped connections) are
//     written by the wrapper itself;
//   - a record of every token request (form fields and a few headers).
//
// Usage: node mock_oauth2_server.js [--exit-on-stdin-close] [--alg RS256]
// It listens on 127.0.0.1 on a port the kernel picks and prints one JSON line
// on stdout: {"port": N, "issuer": "http://127.0.0.1:N"}. SIGTERM, SIGINT or,
// with the flag, the end of stdin (the parent died) stop it.
//
// Control API on the same port (JSON bodies):
//   POST /__control/script    {"responses": [entry, ...]} or one entry:
//                             queued, one per token request.
//   POST /__control/default   entry used when the queue is empty ({} = the
//                             library's plain success answer).
//   GET  /__control/requests  {"requests": [record, ...]} in arrival order.
//   POST /__control/reset     empties the queue, the default and the record.
//   GET  /__control/health    {"ok": true}
//
// An entry (every field optional):
//   status            HTTP status (default 200)
//   body              JSON value that replaces the whole generated body
//   merge             object merged into the generated success body; a
//                     member whose value is null is removed
//   headers           {"Retry-After": "5", ...} added to the answer
//   delay_ms          wait this long (after reading the request) first
//   raw_body          text sent verbatim instead of JSON (with raw_repeat
//                     copies, default 1, and content_type, default
//                     application/json)
//   drop_connection   true: close the socket without answering
//   id_token_claims, access_token_claims
//                     objects merged into the JWT payloads before signing
//
// A record: {seq, method, path, tenant, content_type, headers, form} where
// form holds the url-decoded form fields and headers the request's accept,
// client-request-id, return-client-request-id, x-anchormailbox and
// user-agent headers.
//
// Test-only: it accepts any client and token, and it must only ever listen
// on loopback.

'use strict';

const http = require('node:http');
const { Readable } = require('node:stream');

const TOKEN_PATH = /^\/([^/?]+)\/oauth2\/v2\.0\/token$/;
const RECORDED_HEADERS = [
  'accept',
  'client-request-id',
  'return-client-request-id',
  'x-anchormailbox',
  'user-agent',
];
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let total = 0;
    req.on('data', (chunk) => {
      total += chunk.length;
      if (total > MAX_REQUEST_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sendJson(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function mergeInto(target, patch) {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else {
      target[key] = value;
    }
  }
}

function validateEntry(entry) {
  if (!isPlainObject(entry)) throw new Error('an entry must be an object');
  const objects = ['merge', 'headers', 'id_token_claims', 'access_token_claims'];
  for (const name of objects) {
    if (name in entry && !isPlainObject(entry[name])) {
      throw new Error(`entry.${name} must be an object`);
    }
  }
  if ('status' in entry && !Number.isInteger(entry.status)) {
    throw new Error('entry.status must be an integer');
  }
  if ('delay_ms' in entry && !(entry.delay_ms >= 0)) {
    throw new Error('entry.delay_ms must be a non-negative number');
  }
  if ('raw_body' in entry && typeof entry.raw_body !== 'string') {
    throw new Error('entry.raw_body must be a string');
  }
  return entry;
}

async function main() {
  const { OAuth2Issuer, OAuth2Service, Events } =
      await import('oauth2-mock-server');

  // ES256 by default: an RSA key takes 0.2-0.6 s to generate, which every
  // test case would pay; nothing here verifies signatures. --alg RS256
  // gives Entra's algorithm when a test needs it.
  const algIndex = process.argv.indexOf('--alg');
  const alg = algIndex > 0 ? process.argv[algIndex + 1] : 'ES256';
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate(alg);
  const service = new OAuth2Service(issuer);

  let queue = [];
  let defaultEntry = {};
  let requests = [];
  let seq = 0;

  // The request object the service sees carries `tc`: the scripted entry,
  // the real response (for headers) and the tenant from the path.
  service.on(Events.BeforeTokenSigning, (token, req) => {
    const tc = req.tc;
    if (tc === undefined) return;
    // The service signs the access token (its payload has `scope`) and then,
    // for refresh grants, the ID token (`aud` = client id, no `scope`).
    const isAccessToken = 'scope' in token.payload;
    if (!isAccessToken && tc.tenant !== undefined) {
      token.payload.tid = tc.tenant;
    }
    const claims = isAccessToken ? tc.entry.access_token_claims :
                                   tc.entry.id_token_claims;
    if (claims !== undefined) mergeInto(token.payload, claims);
  });

  service.on(Events.BeforeResponse, (response, req) => {
    const tc = req.tc;
    if (tc === undefined) return;
    const entry = tc.entry;
    if ('body' in entry) {
      response.body = entry.body;
    } else if (entry.merge !== undefined) {
      mergeInto(response.body, entry.merge);
    }
    if (entry.status !== undefined) response.statusCode = entry.status;
    for (const [name, value] of Object.entries(entry.headers ?? {})) {
      tc.res.setHeader(name, String(value));
    }
  });

  async function handleToken(req, res, tenant) {
    const entry = queue.length > 0 ? queue.shift() : defaultEntry;
    const record = {
      seq: ++seq,
      method: req.method,
      path: req.url,
      tenant: tenant ?? null,
      content_type: req.headers['content-type'] ?? null,
      headers: {},
      form: null,
    };
    for (const name of RECORDED_HEADERS) {
      if (req.headers[name] !== undefined) record.headers[name] = req.headers[name];
    }
    requests.push(record);

    const raw = await readBody(req);
    if ((record.content_type ?? '').includes('application/x-www-form-urlencoded')) {
      record.form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    }

    if (entry.delay_ms) await sleep(entry.delay_ms);
    // The client may have given up while we waited (a deadline test).
    if (req.socket.destroyed) return;

    if (entry.drop_connection) {
      req.socket.destroy();
      return;
    }
    if (entry.raw_body !== undefined) {
      const text = entry.raw_body.repeat(entry.raw_repeat ?? 1);
      res.writeHead(entry.status ?? 200, {
        'Content-Type': entry.content_type ?? 'application/json',
        'Content-Length': Buffer.byteLength(text),
        ...(entry.headers ?? {}),
      });
      res.end(text);
      return;
    }

    // Hand the already-read body to the library's token handler through a
    // stand-in request that replays it.
    const replay = Readable.from([raw]);
    replay.method = 'POST';
    replay.url = '/token';
    replay.headers = req.headers;
    replay.socket = req.socket;
    replay.tc = { entry, res, tenant };
    service.requestHandler(replay, res);
  }

  async function handleControl(req, res, path) {
    if (req.method === 'GET' && path === '/__control/health') {
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'GET' && path === '/__control/requests') {
      return sendJson(res, 200, { requests });
    }
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method' });
    const text = (await readBody(req)).toString('utf8');
    let value = {};
    if (text.length > 0) {
      try {
        value = JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: 'control body is not JSON' });
      }
    }
    try {
      if (path === '/__control/script') {
        const entries = Array.isArray(value.responses) ? value.responses : [value];
        entries.forEach(validateEntry);
        queue.push(...entries);
        return sendJson(res, 200, { queued: queue.length });
      }
      if (path === '/__control/default') {
        defaultEntry = validateEntry(value);
        return sendJson(res, 200, { ok: true });
      }
      if (path === '/__control/reset') {
        queue = [];
        defaultEntry = {};
        requests = [];
        return sendJson(res, 200, { ok: true });
      }
    } catch (err) {
      return sendJson(res, 400, { error: String(err.message) });
    }
    return sendJson(res, 404, { error: 'no such control path' });
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    let work;
    if (path.startsWith('/__control/')) {
      work = handleControl(req, res, path);
    } else {
      const match = TOKEN_PATH.exec(path);
      if (req.method === 'POST' && (match !== null || path === '/token')) {
        work = handleToken(req, res, match ? decodeURIComponent(match[1]) : undefined);
      } else {
        // Discovery, JWKS and the rest: the library as it is.
        service.requestHandler(req, res);
        return;
      }
    }
    work.catch((err) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, { error: 'mock_server_failure', error_description: String(err.message) });
      }
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;
  issuer.url = `http://127.0.0.1:${port}`;

  const stop = () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.argv.includes('--exit-on-stdin-close')) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }

  process.stdout.write(JSON.stringify({ port, issuer: issuer.url }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`mock_oauth2_server: ${err.stack ?? err}\n`);
  process.exit(1);
});
