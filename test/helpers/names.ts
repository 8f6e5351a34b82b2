/** Unique, Kafka-legal names so tests never share topics, groups or subjects. */
import { randomBytes } from "node:crypto";

/** `<prefix>-<time36>-<random>`: legal as a topic, group id, transactional id or registry subject. */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, "-").slice(0, 200);
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}
