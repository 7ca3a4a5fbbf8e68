import {
  SshAuthError,
  SshConnectError,
  SshError,
  SshHostKeyError,
  SshIoError,
  SshOpenError
} from "./chunk-DBQINLFL.js";
import {
  Errno,
  errnoFromCode,
  init_esm_shims,
  strerror
} from "./chunk-DXPUYVZG.js";

// src/drivers/ssh/ssh-connection.ts
init_esm_shims();
import { homedir } from "os";
import { Client } from "ssh2";

// src/drivers/ssh/host-key-check.ts
init_esm_shims();
import { createHash } from "crypto";

// src/drivers/ssh/known-hosts.ts
init_esm_shims();
import { createHmac } from "crypto";
import { readFileSync } from "fs";
function parseKnownHosts(text) {
  const out = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let marker = "";
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") marker = fields.shift();
    const [patterns, keyType, b64] = fields;
    if (patterns === void 0 || keyType === void 0 || b64 === void 0) continue;
    const key = Buffer.from(b64, "base64");
    if (key.length === 0) continue;
    out.push({ marker, patterns, keyType, key });
  }
  return out;
}
function knownHostsName(host, port) {
  return port === 22 ? host : `[${host}]:${port}`;
}
function wildcardMatch(pattern, name) {
  let re = "^";
  for (const ch of pattern) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`${re}$`, "i").test(name);
}
function hashedMatch(entry, name) {
  const parts = entry.split("|");
  if (parts.length !== 4 || parts[1] !== "1") return false;
  const salt = Buffer.from(parts[2], "base64");
  const want = Buffer.from(parts[3], "base64");
  return createHmac("sha1", salt).update(name).digest().equals(want);
}
function hostPatternsMatch(patterns, name) {
  if (patterns.startsWith("|")) return hashedMatch(patterns, name);
  let matched = false;
  for (const p of patterns.split(",")) {
    if (p.startsWith("!")) {
      if (wildcardMatch(p.slice(1), name)) return false;
    } else if (wildcardMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}
function keyTypeOfBlob(blob) {
  if (blob.length < 4) return "";
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString("latin1");
}
function checkKnownHostsEntries(entries, host, port, key) {
  const names = [knownHostsName(host, port)];
  const type = keyTypeOfBlob(key);
  let state = "unknown";
  for (const e of entries) {
    if (e.marker === "@cert-authority") continue;
    if (!names.some((n) => hostPatternsMatch(e.patterns, n))) continue;
    if (e.marker === "@revoked") {
      if (e.key.equals(key)) return "revoked";
      continue;
    }
    if (e.key.equals(key)) {
      state = "ok";
      continue;
    }
    if (state === "ok") continue;
    if (keyTypeOfBlob(e.key) === type) state = "changed";
    else if (state !== "changed") state = "other";
  }
  return state;
}
function checkKnownHosts(files, host, port, key) {
  const entries = [];
  let read = 0;
  for (const f of files) {
    let text;
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    read++;
    entries.push(...parseKnownHosts(text));
  }
  if (read === 0) return "not-found";
  return checkKnownHostsEntries(entries, host, port, key);
}

// src/drivers/ssh/host-key-check.ts
function hostKeyFingerprint(key, type) {
  return createHash(type).update(key).digest();
}
function fingerprintMatches(fingerprint, expected) {
  const hex = expected.replace(/:/g, "");
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== fingerprint.length * 2) return false;
  return hex.toLowerCase() === fingerprint.toString("hex");
}
function sha256Base64(key) {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}
function checkHostKey(config, key) {
  const check = config.hostKeyCheck;
  const { host, port } = config;
  const keyType = keyTypeOfBlob(key);
  switch (check.mode) {
    case "none":
      return;
    case "hash": {
      const fp = hostKeyFingerprint(key, check.type);
      if (fingerprintMatches(fp, check.hash)) return;
      throw new SshHostKeyError(
        `remote host ${keyType} key fingerprint '${check.type}:${fp.toString("hex")}' does not match host_key_check '${check.type}:${check.hash}'`,
        host,
        port,
        Errno.EPERM
      );
    }
    case "known_hosts": {
      const state = checkKnownHosts(config.knownHostsFiles, host, port, key);
      switch (state) {
        case "ok":
          return;
        case "changed":
          throw new SshHostKeyError(
            `host key (${keyType} key with fingerprint ${sha256Base64(key)}) does not match the one in known_hosts; this may be a possible attack`,
            host,
            port
          );
        case "other":
          throw new SshHostKeyError("host key for this server not found, another type exists", host, port);
        case "revoked":
          throw new SshHostKeyError(`host key (${keyType} key with fingerprint ${sha256Base64(key)}) is marked @revoked in known_hosts`, host, port);
        case "unknown":
        case "not-found":
          throw new SshHostKeyError("no host key was found in known_hosts", host, port);
      }
    }
  }
}

// src/drivers/ssh/ssh-auth.ts
init_esm_shims();
import { readFileSync as readFileSync2 } from "fs";
var AUTH_FAILED_MESSAGE = "failed to authenticate using publickey authentication and the identities held by your ssh-agent";
var NO_PUBLICKEY_MESSAGE = 'remote server does not support "publickey" authentication';
function readKey(path, config, required) {
  try {
    return readFileSync2(path);
  } catch (err) {
    if (!required) return null;
    const code = err.errno ?? 5;
    throw new SshAuthError(`could not read identity file '${path}': ${strerror(code)}`, config.host, config.port);
  }
}
function planAuthentication(config, home) {
  const methods = [];
  const username = config.user;
  if (config.identityFile !== void 0) {
    methods.push({ type: "publickey", username, key: readKey(config.identityFile, config, true) });
  }
  if (config.agentSocket !== void 0) methods.push({ type: "agent", username, agent: config.agentSocket });
  for (const name of ["id_ed25519", "id_ecdsa", "id_rsa"]) {
    const key = readKey(`${home}/.ssh/${name}`, config, false);
    if (key !== null) methods.push({ type: "publickey", username, key });
  }
  let reason = AUTH_FAILED_MESSAGE;
  let next = 0;
  const handler = (authsLeft, _partial, done) => {
    if (authsLeft !== null && authsLeft !== void 0 && !authsLeft.includes("publickey")) {
      reason = NO_PUBLICKEY_MESSAGE;
      done(false);
      return;
    }
    const m = methods[next++];
    done(m ?? false);
  };
  return { handler, failure: () => new SshAuthError(reason, config.host, config.port) };
}

// src/drivers/ssh/ssh-connection.ts
var DEFAULT_TUNING = {
  keepaliveInterval: 5e3,
  keepaliveCountMax: 3,
  readyTimeout: 2e4
};
var SFTP_NO_SUCH_FILE = 2;
var SFTP_PERMISSION_DENIED = 3;
var SshConnection = class _SshConnection {
  /** @internal use SshConnection.open */
  constructor(config, client, sftp, handle, initialSize) {
    this.config = config;
    this.client = client;
    this.sftp = sftp;
    this.handle = handle;
    this.initialSize = initialSize;
    const internals = sftp;
    this.maxRead = Math.max(16 * 1024, internals._maxReadLen ?? 32 * 1024);
    this.maxWrite = internals._maxWriteLen ?? 32 * 1024;
    this.hasFsync = internals._extensions?.["fsync@openssh.com"] === "1";
    const lost = (why) => () => this.markDead(why);
    client.on("close", lost("connection closed by the server"));
    client.on("end", lost("connection closed by the server"));
    client.on("error", (err) => this.markDead(`connection error: ${err.message}`));
    sftp.on("close", lost("SFTP channel closed"));
    sftp.on("error", (err) => this.markDead(`SFTP channel error: ${err.message}`));
  }
  config;
  client;
  sftp;
  handle;
  initialSize;
  /** Largest READ the server serves in one reply (limits@openssh.com, else ssh2's default). */
  maxRead;
  /** Largest WRITE the server takes in one request. */
  maxWrite;
  /** Whether the server offers fsync@openssh.com. */
  hasFsync;
  /** Why the connection is gone, once it is. */
  deadReason = null;
  pending = /* @__PURE__ */ new Set();
  closeListeners = /* @__PURE__ */ new Set();
  /** Whether requests can still be sent. */
  get alive() {
    return this.deadReason === null;
  }
  /** Number of requests sent and not yet answered. */
  get inFlight() {
    return this.pending.size;
  }
  /**
   * Keep the server's send window for this channel at `target` bytes. ssh2
   * holds it between 1 and 2 MiB, which leaves a fast server waiting for window
   * adjustments; a pipelined reader wants as much as it has reads in flight.
   * Uses ssh2 internals and does nothing if they are not there.
   */
  topUpWindow(target) {
    const s = this.sftp;
    if (s.incoming === void 0 || s.outgoing === void 0 || s._protocol === void 0 || this.deadReason !== null) return;
    const amount = target - s.incoming.window;
    if (amount < target / 2) return;
    s.incoming.window += amount;
    s._protocol.channelWindowAdjust(s.outgoing.id, amount);
  }
  /** Be told once when the connection dies. */
  onClose(fn) {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }
  /** The server as "host:port", for messages. */
  get hostport() {
    return `${this.config.host}:${this.config.port}`;
  }
  markDead(why) {
    if (this.deadReason !== null) return;
    this.deadReason = why;
    const err = new SshIoError(`${why} (server ${this.hostport})`);
    const waiting = [...this.pending];
    this.pending.clear();
    for (const done of waiting) done(err);
    for (const fn of [...this.closeListeners]) fn();
    this.closeListeners.clear();
    this.client.end();
    setImmediate(() => this.client.destroy());
  }
  /**
   * Send one SFTP request through `send`, which must call ssh2 with the given
   * callback. `done` runs exactly once: with ssh2's answer, or with -EIO when the
   * connection is (or goes) down first.
   */
  request(send, done) {
    if (this.deadReason !== null) {
      const err = new SshIoError(`${this.deadReason} (server ${this.hostport})`);
      process.nextTick(done, err);
      return;
    }
    let settled = false;
    const cb = (err, value) => {
      if (settled) return;
      settled = true;
      this.pending.delete(cb);
      if (err) done(err instanceof SshIoError ? err : new SshIoError(`${err.message} (server ${this.hostport})`, { cause: err }));
      else done(null, value);
    };
    this.pending.add(cb);
    try {
      send(cb);
    } catch (err) {
      cb(err);
    }
  }
  /** Close the file and the connection (best effort: errors are ignored). */
  close() {
    return new Promise((resolve) => {
      const finish = () => {
        this.markDead("connection closed by the client");
        resolve();
      };
      if (this.deadReason !== null) return finish();
      const t = setTimeout(finish, 2e3);
      this.sftp.close(this.handle, () => {
        clearTimeout(t);
        finish();
      });
    });
  }
  /**
   * Connect, check the host key, authenticate, start SFTP, open and fstat the
   * file. Rejects with SshError subclasses carrying QEMU's messages.
   */
  static open(config, mode, tuning = {}) {
    const t = { ...DEFAULT_TUNING, ...tuning };
    const home = process.env["HOME"] ?? homedir();
    return new Promise((resolve, reject) => {
      let plan;
      try {
        plan = planAuthentication(config, home);
      } catch (err) {
        reject(err);
        return;
      }
      const client = new Client();
      let failure = null;
      let settled = false;
      const fail = (err) => {
        if (settled) return;
        settled = true;
        client.removeAllListeners("ready");
        client.on("error", () => {
        });
        client.destroy();
        reject(err);
      };
      client.on("error", (err) => {
        if (failure !== null) return fail(failure);
        if (err.level === "client-authentication") return fail(plan.failure());
        if (err.level === "client-socket" || err.code !== void 0) {
          const errno = errnoFromCode(err.code);
          return fail(new SshConnectError(`Failed to connect to '${config.host}:${config.port}': ${errno === Errno.EIO ? err.message : strerror(errno)}`, config.host, config.port, errno, { cause: err }));
        }
        if (err.level === "client-timeout") {
          return fail(new SshConnectError(`Failed to connect to '${config.host}:${config.port}': timed out during the SSH handshake`, config.host, config.port, Errno.ETIMEDOUT, { cause: err }));
        }
        fail(new SshConnectError(`failed to establish SSH session with ${config.host}:${config.port}: ${err.message}`, config.host, config.port, Errno.EIO, { cause: err }));
      });
      client.on("close", () => fail(failure ?? new SshConnectError(`failed to establish SSH session with ${config.host}:${config.port}: connection closed`, config.host, config.port, Errno.ECONNRESET)));
      client.on("ready", () => {
        client.setNoDelay(true);
        client.sftp((err, sftp) => {
          if (err) return fail(new SshError(`failed to initialize sftp handle: ${err.message} (server ${config.host}:${config.port})`, Errno.EIO));
          const flags = mode.create ? "w+" : mode.write ? "r+" : "r";
          sftp.open(config.path, flags, 420, (err2, handle) => {
            if (err2) {
              const code = err2.code;
              const errno = code === SFTP_NO_SUCH_FILE ? Errno.ENOENT : code === SFTP_PERMISSION_DENIED ? Errno.EACCES : Errno.EIO;
              return fail(new SshOpenError(config.path, `SFTP server: ${err2.message} (sftp error code: ${code ?? "none"})`, config.host, config.port, errno));
            }
            sftp.fstat(handle, (err3, stats) => {
              if (err3) return fail(new SshError(`failed to read file attributes: ${err3.message} (server ${config.host}:${config.port})`, Errno.EIO));
              if (settled) return;
              settled = true;
              client.removeAllListeners("error");
              client.removeAllListeners("close");
              resolve(new _SshConnection(config, client, sftp, handle, stats.size));
            });
          });
        });
      });
      client.connect({
        host: config.host,
        port: config.port,
        username: config.user,
        readyTimeout: t.readyTimeout,
        keepaliveInterval: t.keepaliveInterval,
        keepaliveCountMax: t.keepaliveCountMax,
        hostVerifier: (key) => {
          try {
            checkHostKey(config, key);
            return true;
          } catch (err) {
            failure = err;
            return false;
          }
        },
        authHandler: plan.handler,
        ...tuning.ciphers ? { algorithms: { cipher: [...tuning.ciphers] } } : {}
      });
    });
  }
};
export {
  DEFAULT_TUNING,
  SshConnection
};
//# sourceMappingURL=ssh-connection-32CRTKC3.js.map