/**
 * How a blocking aio_poll sleeps and who can wake it. JavaScript cannot poll(2)
 * file descriptors, and while a blocking aio_poll runs no libuv callback can
 * either; so everything that must wake one (another thread setting an event
 * notifier, a thread-pool worker finishing, a worker scheduling a BH) bumps one
 * Int32 word of a SharedArrayBuffer per thread and calls Atomics.notify, and the
 * poll waits with Atomics.wait bounded by the next timer deadline. Messages those
 * threads post travel on MessagePorts that the poll drains synchronously with
 * receiveMessageOnPort; when the thread is not blocked, the same ports deliver
 * through libuv as ordinary 'message' events, so either path sees each message once.
 */
import type { MessagePort } from 'node:worker_threads';

/** The shared word a thread's blocking aio_poll waits on. */
export const threadWakeWord: Int32Array = new Int32Array(new SharedArrayBuffer(4));

/** Wake a blocking aio_poll of the thread owning `word` (callable from any thread). */
export function wakeThread(word: Int32Array = threadWakeWord): void {
  Atomics.add(word, 0, 1);
  Atomics.notify(word, 0);
}

/** A port whose messages a blocking aio_poll must see. */
interface RemoteSource {
  readonly port: MessagePort;
  readonly onMessage: (msg: unknown) => void;
}

const sources = new Set<RemoteSource>();
/** worker_threads' receiveMessageOnPort, taken when the first source is added: the core does not load worker_threads until a port exists. */
let receiveMessageOnPort: typeof import('node:worker_threads').receiveMessageOnPort | undefined;

/**
 * Listen on `port` both through libuv (unref'd: an idle port never keeps the
 * process alive) and from blocking polls. Returns a function that stops listening and closes the port.
 */
export function addRemoteSource(port: MessagePort, onMessage: (msg: unknown) => void): () => void {
  receiveMessageOnPort ??= process.getBuiltinModule('node:worker_threads').receiveMessageOnPort;
  const src: RemoteSource = { port, onMessage };
  sources.add(src);
  port.on('message', onMessage);
  port.unref();
  return () => {
    sources.delete(src);
    port.off('message', onMessage);
    port.close();
  };
}

/**
 * A new channel whose first port is a remote source (addRemoteSource): `port`
 * goes to the other thread, `stop` stops listening. The channel is
 * worker_threads' (not the global one, which a DOM lib types as the browser's).
 */
export function openRemoteSource(onMessage: (msg: unknown) => void): { readonly port: MessagePort; readonly stop: () => void } {
  const { port1, port2 } = new (process.getBuiltinModule('node:worker_threads').MessageChannel)();
  return { port: port2, stop: addRemoteSource(port1, onMessage) };
}

/** Deliver every queued message of every remote source now; true when any came. */
export function drainRemoteSources(): boolean {
  let any = false;
  if (receiveMessageOnPort === undefined) return any;
  for (const src of sources) {
    while (sources.has(src)) {
      const m = receiveMessageOnPort(src.port);
      if (m === undefined) break;
      any = true;
      src.onMessage(m.message);
    }
  }
  return any;
}
