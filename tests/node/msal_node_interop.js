#!/usr/bin/env node
// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// msal-node interop harness: can the REAL @azure/msal-node (7.2.3, pinned in
// tests/node/package-lock.json) serve tokens from a cache file that
// tokencache wrote?
//
// For each expectation it builds a fresh msal-node application whose
// cachePlugin loads the file under test (read-only: the file is never
// written), then
//  - user tokens:   PublicClientApplication.getAllAccounts() picks the
//                   account (homeAccountId or username, and tenant), then
//                   acquireTokenSilent({account, scopes});
//  - app-only ones: ConfidentialClientApplication
//                   .acquireTokenByClientCredential({scopes}), which msal-node
//                   also serves from its cache.
// Nothing leaves the machine: the applications get a network client that
// throws on every request, and global fetch is replaced by one that throws,
// so a cache miss shows up as an error, never as a request. Authorities on
// login.microsoftonline.com use msal-common's built-in metadata; any other
// host gets hand-made authority and cloud-discovery metadata (knownAuthorities
// + cloudDiscoveryMetadata + authorityMetadata), so there is no discovery.
//
// Usage:
//   node msal_node_interop.js --cache FILE
//        [--expectations FILE.json]   explicit expectations (see below)
//        [--expect-from FIXTURE.json] derive one expectation per access token
//                                     of an msal-written cache (repeatable)
//        [--manifest MANIFEST.json]   with --expect-from: also the manifest's
//                                     silentExpectations for that fixture
//        [--json-out FILE]            write all results as one JSON array
// An expectation is
//   {name?, clientId, authority?, tenant?, homeAccountId? | username?,
//    scopes: [...], appOnly?: bool,
//    expectedAccessToken? | expectedAccessTokenSuffix?,
//    expectCacheMiss?: bool}
// appOnly defaults to true when neither homeAccountId nor username is given.
// expectCacheMiss: the token must NOT be served (e.g. it has expired).
// Prints one JSON line per expectation, {name, ok, accessTokenMatches,
// fromCache, error}, never token text, then "interop: N passed, M failed".
// Exit status: 0 all passed, 1 any mismatch, 2 bad usage or input.

"use strict";

const fs = require("fs");
const path = require("path");

function die(message, code = 2) {
  console.error(`msal_node_interop: ${message}`);
  process.exit(code);
}

let msal;
try {
  msal = require("@azure/msal-node");
} catch (e) {
  die(`cannot load @azure/msal-node (${e.code || e.message}); run ` +
      "`npm ci --ignore-scripts` in tests/node (scripts/setup.sh does it)");
}
const msalVersion = require("@azure/msal-node/package.json").version;

// ---------- no network, ever ----------
let networkAttempts = 0;
let lastAttempt = "";
function refuse(kind, url) {
  networkAttempts++;
  lastAttempt = `${kind} ${host(url)}${pathOf(url)}`;
  throw new Error(`network disabled by the interop harness (${lastAttempt})`);
}
const noNetwork = {
  sendGetRequestAsync: async (url) => refuse("GET", url),
  sendPostRequestAsync: async (url) => refuse("POST", url),
};
globalThis.fetch = async (url) => refuse("fetch", url);
function pathOf(url) {
  try {
    // The path shows which request it was (token endpoint, discovery); the
    // query string could carry request data, so it is left out.
    return new URL(String(url)).pathname;
  } catch (_) {
    return "";
  }
}
function host(url) {
  try {
    return new URL(String(url)).host;
  } catch (_) {
    return "?";
  }
}

// ---------- arguments ----------
function parseArgs(argv) {
  const a = { cache: null, expectations: [], expectFrom: [], manifest: null, jsonOut: null };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) die(`${k} needs a value`);
      return argv[++i];
    };
    if (k === "--cache") a.cache = v();
    else if (k === "--expectations") a.expectations.push(v());
    else if (k === "--expect-from") a.expectFrom.push(v());
    else if (k === "--manifest") a.manifest = v();
    else if (k === "--json-out") a.jsonOut = v();
    else if (k === "-h" || k === "--help") {
      const lines = fs.readFileSync(__filename, "utf8").split("\n");
      const from = lines.findIndex((l) => l.startsWith("// Usage:"));
      const to = lines.findIndex((l) => l.startsWith("// Exit status:"));
      console.log(lines.slice(from, to + 1).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
      process.exit(0);
    } else die(`unknown argument '${k}'`);
  }
  if (!a.cache) die("--cache FILE is required");
  if (a.expectations.length === 0 && a.expectFrom.length === 0) {
    die("give --expectations and/or --expect-from");
  }
  return a;
}

function readJson(file, what) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    die(`cannot read ${what} ${file}: ${e.code || e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    // The message of JSON.parse can quote input; name the position only.
    const at = /position (\d+)/.exec(e.message);
    die(`${what} ${file} is not valid JSON${at ? ` (near byte ${at[1]})` : ""}`);
  }
  return null;
}

// ---------- expectations derived from an msal-written fixture ----------
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access"]);
const RENEWAL_OFFSET_SEC = 300; // msal-node's default tokenRenewalOffsetSeconds

function deriveExpectations(fixtureFile, manifest) {
  const cache = readJson(fixtureFile, "fixture");
  const base = path.basename(fixtureFile);
  const out = [];
  const now = Math.floor(Date.now() / 1000);
  for (const [key, at] of Object.entries(cache.AccessToken || {})) {
    const scopes = String(at.target || "").split(" ").filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
    const appOnly = !at.home_account_id;
    const expiresOn = Number(at.expires_on);
    const e = {
      name: `${base}: AT ${out.length + 1} (${appOnly ? "app-only" : "user"}, ${scopes.join(" ")})`,
      clientId: at.client_id,
      tenant: at.realm,
      scopes,
      appOnly,
      expectedAccessToken: at.secret,
      source: { fixture: base, key },
    };
    if (!appOnly) e.homeAccountId = at.home_account_id;
    if (!(expiresOn > now + RENEWAL_OFFSET_SEC)) e.expectCacheMiss = true;
    out.push(e);
  }
  if (manifest) {
    const entry = (manifest.files || []).find((f) => f.file === base);
    for (const s of (entry && entry.silentExpectations) || []) {
      // The manifest names the app by client id only through the token
      // requests; the silent call used the app of the file's user requests.
      const req = (entry.tokenRequests || []).find((r) => r.user === s.user);
      if (!req) continue;
      out.push({
        name: `${base}: manifest silent call (${s.user}, ${s.scopes.join(" ")})`,
        clientId: req.client_id,
        tenant: s.tenant,
        username: s.user,
        scopes: s.scopes,
        appOnly: false,
        expectedAccessTokenSuffix: s.accessTokenFromFlow,
        source: { fixture: base, manifest: true },
      });
    }
  }
  return out;
}

// ---------- msal-node applications ----------
// The cache plugin: loads the file under test before every cache access and
// never writes it back. It records whether msal-node wanted to (a pure cache
// hit should not change the cache).
function readOnlyPlugin(file, state) {
  return {
    beforeCacheAccess: async (ctx) => {
      ctx.tokenCache.deserialize(fs.readFileSync(file, "utf8"));
    },
    afterCacheAccess: async (ctx) => {
      if (ctx.cacheHasChanged) state.cacheChanged = true;
    },
  };
}

const BUILTIN_HOSTS = new Set([
  "login.microsoftonline.com", "login.windows.net", "login.microsoft.com",
  "sts.windows.net",
]);

function authorityConfig(e) {
  const authority = e.authority || `https://login.microsoftonline.com/${e.tenant || "common"}`;
  const url = new URL(authority);
  const auth = { authority };
  if (!BUILTIN_HOSTS.has(url.host)) {
    // Hand-made metadata, so msal-node never asks the host (no discovery).
    const h = url.host;
    const t = url.pathname.replace(/^\/+|\/+$/g, "") || "common";
    auth.knownAuthorities = [h];
    auth.cloudDiscoveryMetadata = JSON.stringify({
      tenant_discovery_endpoint: `https://${h}/${t}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: h, preferred_cache: e.environment || h, aliases: [h, e.environment || h] }],
    });
    auth.authorityMetadata = JSON.stringify({
      token_endpoint: `https://${h}/${t}/oauth2/v2.0/token`,
      authorization_endpoint: `https://${h}/${t}/oauth2/v2.0/authorize`,
      end_session_endpoint: `https://${h}/${t}/oauth2/v2.0/logout`,
      device_authorization_endpoint: `https://${h}/${t}/oauth2/v2.0/devicecode`,
      issuer: `https://${h}/${t}/v2.0`,
      jwks_uri: `https://${h}/${t}/discovery/v2.0/keys`,
    });
  }
  return auth;
}

function tokenMatches(e, token) {
  if (typeof token !== "string" || token.length === 0) return false;
  if (e.expectedAccessToken !== undefined) return token === e.expectedAccessToken;
  if (e.expectedAccessTokenSuffix !== undefined) return token.endsWith(e.expectedAccessTokenSuffix);
  return false;
}

async function runOne(e, cacheFile) {
  const state = { cacheChanged: false };
  const result = { name: e.name || `${e.clientId} ${(e.scopes || []).join(" ")}`, ok: false,
                   accessTokenMatches: false, fromCache: null, error: null };
  if (!e.clientId || !Array.isArray(e.scopes) || e.scopes.length === 0) {
    result.error = "expectation needs clientId and a non-empty scopes array";
    return result;
  }
  if (!e.expectCacheMiss && e.expectedAccessToken === undefined && e.expectedAccessTokenSuffix === undefined) {
    result.error = "expectation needs expectedAccessToken or expectedAccessTokenSuffix";
    return result;
  }
  const appOnly = e.appOnly !== undefined ? Boolean(e.appOnly) : !(e.homeAccountId || e.username);
  const config = {
    auth: { clientId: e.clientId, ...authorityConfig(e) },
    cache: { cachePlugin: readOnlyPlugin(cacheFile, state) },
    system: { networkClient: noNetwork },
  };
  const before = networkAttempts;
  let response = null;
  try {
    if (appOnly) {
      // The secret is never sent anywhere: the network client throws first.
      config.auth.clientSecret = "interop-harness-placeholder";
      const cca = new msal.ConfidentialClientApplication(config);
      response = await cca.acquireTokenByClientCredential({ scopes: e.scopes });
    } else {
      const pca = new msal.PublicClientApplication(config);
      const accounts = await pca.getAllAccounts();
      const wantUser = (e.username || "").toLowerCase();
      const account = accounts.find((a) =>
        (e.homeAccountId ? a.homeAccountId === e.homeAccountId : a.username.toLowerCase() === wantUser) &&
        (!e.tenant || a.tenantId === e.tenant));
      if (!account) {
        const seen = accounts.map((a) => `${a.homeAccountId}/${a.tenantId}`).join(", ") || "none";
        throw new Error(`getAllAccounts() has no account for ${e.homeAccountId || e.username}` +
                        ` in tenant ${e.tenant || "(any)"}; it lists: ${seen}`);
      }
      response = await pca.acquireTokenSilent({ account, scopes: e.scopes });
    }
  } catch (err) {
    result.error = `${err.errorCode || err.name || "Error"}: ${String(err.errorMessage || err.message).split("\n")[0]}`;
  }
  if (response) {
    result.fromCache = Boolean(response.fromCache);
    result.accessTokenMatches = tokenMatches(e, response.accessToken);
  }
  const usedNetwork = networkAttempts > before;
  if (usedNetwork && result.error) {
    result.error = `not served from the cache: msal-node tried the network (${lastAttempt}); ${result.error}`;
  }
  if (e.expectCacheMiss) {
    result.ok = !(response && response.fromCache && response.accessToken);
    if (!result.ok) result.error = "a token was served from the cache, but it must not be (expired)";
  } else {
    result.ok = Boolean(response) && result.fromCache === true && result.accessTokenMatches && !usedNetwork;
    if (response && !result.accessTokenMatches) result.error = "msal-node returned a different access token";
    else if (response && !result.fromCache) result.error = "the token did not come from the cache";
  }
  if (state.cacheChanged && !e.expectCacheMiss) {
    result.cacheChanged = true; // informative: msal-node rewrote entries it read
  }
  return result;
}

async function main() {
  const a = parseArgs(process.argv);
  const manifest = a.manifest ? readJson(a.manifest, "manifest") : null;
  // Validate the file under test up front: msal-node's own error would quote it.
  readJson(a.cache, "cache file");
  let expectations = [];
  for (const f of a.expectations) {
    const list = readJson(f, "expectations file");
    if (!Array.isArray(list)) die(`expectations file ${f} must hold a JSON array`);
    expectations = expectations.concat(list);
  }
  for (const f of a.expectFrom) expectations = expectations.concat(deriveExpectations(f, manifest));
  if (expectations.length === 0) die("no expectations: the fixtures hold no access tokens");

  console.log(`# msal_node_interop: @azure/msal-node ${msalVersion}, node ${process.version}, ` +
              `${expectations.length} expectation(s), cache ${path.basename(a.cache)}`);
  const results = [];
  for (const e of expectations) {
    const r = await runOne(e, a.cache);
    results.push(r);
    console.log(JSON.stringify(r));
  }
  const failed = results.filter((r) => !r.ok).length;
  if (a.jsonOut) fs.writeFileSync(a.jsonOut, JSON.stringify(results, null, 2) + "\n");
  console.log(`interop: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => die(`unexpected failure: ${e && e.stack ? e.stack.split("\n")[0] : e}`));
