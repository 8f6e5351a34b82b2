/**
 * Test helpers: a private copy of the fixture models (tests activate versions and edit files, never
 * in the repository), records shaped like the features stage's, and a logger that keeps its lines.
 */
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PostFeatures, TransactionFeatures } from "../../../schemas/generated/types.ts";
import { FRAUD_FEATURE_NAMES } from "../../features/fraud/definitions.ts";

export const FIXTURE_MODELS = fileURLToPath(new URL("../fixtures/models", import.meta.url));

/** The 15 fraud feature names, in the features stage's order (the fixture models were built on it). */
export const FIXTURE_FRAUD_FEATURES: readonly string[] = FRAUD_FEATURE_NAMES;

/**
 * A fresh copy of fixtures/models in a temp dir: a registry root tests may change. `parity: false`
 * leaves out the parity samples (a FakeRuntime does not score like the real model).
 */
export async function tempModels(options: { parity?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "verdict-models-"));
  await cp(FIXTURE_MODELS, dir, {
    recursive: true,
    filter: (src) => options.parity !== false || !src.endsWith("parity-sample.json"),
  });
  return dir;
}

/**
 * tempModels (no parity samples) plus `fraud-screen` 1.0.0 and 1.1.0, copies of fraud-lr that a
 * cascade can use as its screen: each carries `screening.clearBelow` where `cutoffs` gives one.
 * ACTIVE is 1.0.0.
 */
export async function tempModelsWithScreen(
  cutoffs: { "1.0.0"?: number; "1.1.0"?: number } = { "1.0.0": 0.01 },
): Promise<string> {
  const root = await tempModels({ parity: false });
  for (const version of ["1.0.0", "1.1.0"] as const) {
    await cp(join(root, "fraud-lr", version), join(root, "fraud-screen", version), { recursive: true });
    await editManifest(root, "fraud-screen", version, (m) => {
      m.name = "fraud-screen";
      const cut = cutoffs[version];
      if (cut !== undefined)
        m.screening = { clearBelow: cut, decider: { name: "fraud-lr", version: "1.0.0" } };
    });
  }
  await writeFile(join(root, "fraud-screen", "ACTIVE"), "1.0.0\n");
  return root;
}

/** Rewrites one field set of a model.json in a temp registry. */
export async function editManifest(
  root: string,
  name: string,
  version: string,
  edit: (m: Record<string, unknown>) => void,
): Promise<void> {
  const path = join(root, name, version, "model.json");
  const m = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  edit(m);
  await writeFile(path, JSON.stringify(m, null, 2));
}

export function fraudFeatures(
  amount: number,
  extra: Partial<Record<string, number>> = {},
): Record<string, number> {
  const f: Record<string, number> = Object.fromEntries(FIXTURE_FRAUD_FEATURES.map((n) => [n, 0]));
  Object.assign(f, {
    TX_AMOUNT: amount,
    CUSTOMER_ID_NB_TX_1DAY_WINDOW: 3,
    CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 50,
    CUSTOMER_ID_NB_TX_7DAY_WINDOW: 20,
    CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW: 50,
    CUSTOMER_ID_NB_TX_30DAY_WINDOW: 80,
    CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW: 50,
    TERMINAL_ID_NB_TX_7DAY_WINDOW: 7,
    TERMINAL_ID_NB_TX_30DAY_WINDOW: 30,
    ...extra,
  });
  return f;
}

export function transaction(
  i: number,
  customerId = `c${i % 8}`,
  amount = 40 + (i % 50),
): TransactionFeatures {
  return {
    eventId: `e-${i}`,
    transactionId: `t-${i}`,
    customerId,
    terminalId: `term-${i % 5}`,
    amount,
    occurredAt: 1_700_000_000_000 + i,
    featureSet: "fraud-baseline@1",
    features: fraudFeatures(amount),
  };
}

export function post(i: number, text: string, authorId = `a${i % 4}`): PostFeatures {
  return {
    eventId: `p-${i}`,
    postId: `post-${i}`,
    authorId,
    occurredAt: 1_700_000_000_000 + i,
    normalizedText: text,
    featureSet: "moderation@1",
    features: { length: text.length },
    blocklistHits: [],
  };
}
