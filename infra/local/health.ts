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

/** Java's String.hashCode, which Kafka uses to place a consumer group on an __consumer_offsets partition. */
export function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The __consumer_offsets partition of `groupId` (Kafka: Utils.abs(hashCode) % partitions). */
export function offsetsPartition(groupId: string, partitions: number): number {
  return (javaHashCode(groupId) & 0x7fffffff) % partitions;
}

/** One group id per __consumer_offsets partition, to ask the coordinator about each of them. */
export function probeGroups(partitions: number): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < partitions; i++) {
    const id = `verdict.stack-probe.${i}`;
    const p = offsetsPartition(id, partitions);
    if (!byPartition.has(p)) byPartition.set(p, id);
  }
  return [...byPartition.values()];
}

/**
 * A KafkaJS admin connects and describes the cluster (at least one broker, a controller); with
 * `offsetsPartitions`, the group coordinator also answers for a group on every __consumer_offsets
 * partition. After a restart the broker loads those partitions (every group's metadata and offsets)
 * before it serves them, and a consumer joining meanwhile is told "the coordinator is loading": on a
 * stack whose offsets log has grown, for many seconds. So "up" means consumer groups can join.
 */
export async function kafkaHealthy(
  brokers: string[],
  timeoutMs = 5000,
  offsetsPartitions?: number,
): Promise<boolean> {
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
      if (cluster.brokers.length === 0 || cluster.controller === null) return false;
      // Throws (retries: 0) while any of these groups' partitions is still loading.
      if (offsetsPartitions) await admin.describeGroups(probeGroups(offsetsPartitions));
      return true;
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
