/**
 * Health checks with hard timeouts. Each answers true/false and never throws, so `up` can poll it;
 * "healthy" means the real protocol works (a KafkaJS describeCluster, an HTTP 200, a Redis PONG),
 * not merely that a port accepts connections.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { connect } from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { sleep } from "../../lib/retry/index.ts";

/** Polls `check` until it answers true or `timeoutMs` passes. `abort` lets a caller stop early (process died). */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  options: { intervalMs?: number; abort?: () => boolean } = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (options.abort?.() || Date.now() >= deadline) return false;
    await sleep(Math.min(options.intervalMs ?? 250, Math.max(0, deadline - Date.now())));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise.catch(() => fallback), timeout]).finally(() => clearTimeout(timer));
}

/** A KafkaJS admin connects and describes the cluster (at least one broker, a controller). */
export async function kafkaHealthy(brokers: string[], timeoutMs = 5000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: "verdict-stack-health",
    brokers,
    connectionTimeout: Math.min(timeoutMs, 2000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const probe = (async () => {
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  })();
  return withTimeout(probe, timeoutMs, false);
}

/** GET `url` answers 2xx within `timeoutMs`. */
export async function httpOk(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Sends an inline PING and expects +PONG (RESP); no client library needed for this. */
export function redisPing(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buffer = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      if (buffer.includes("\r\n")) done(buffer.startsWith("+PONG"));
    });
  });
}

/** The last `lines` lines of a log file, for error messages ("" when it does not exist). */
export function tailFile(path: string, lines = 30): string {
  if (!existsSync(path)) return "";
  // Read only the end: a broker log grows to megabytes.
  const size = statSync(path).size;
  const length = Math.min(size, 64 * 1024);
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8").trimEnd().split("\n").slice(-lines).join("\n");
}
